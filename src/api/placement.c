/* Placement members of a request (RunTask, StartTask, CreateService,
 * UpdateService): checked against ECS's rules and the task definition's
 * constraints, and returned normalized. */
#include "api/internal.h"
#include "placement/placement.h"

int
api_placement_read(const cJSON *req, const cJSON *td, cJSON **strategies,
    cJSON **constraints, struct err *e)
{
	struct placement_policy	 pol;
	const cJSON		*ps, *pc;
	int			 ntd, ret = -1;

	*strategies = NULL;
	*constraints = NULL;
	placement_policy_init(&pol);
	if (api_array(req, "placementStrategy", 0, 0, &ps, e) != 0 ||
	    api_array(req, "placementConstraints", 0, 0, &pc, e) != 0)
		goto out;
	/* Task definitions and requests share ECS's limit of ten. */
	ntd = cJSON_GetArraySize(cJSON_GetObjectItem(td,
	    "placementConstraints"));
	if (cJSON_GetArraySize(pc) + ntd > PLACEMENT_MAX_CONSTRAINTS) {
		err_set(e, ERR_INVALID, "Too many placement constraints: %d "
		    "in the request and %d in the task definition; at most %d "
		    "are allowed.", cJSON_GetArraySize(pc), ntd,
		    PLACEMENT_MAX_CONSTRAINTS);
		goto out;
	}
	if (placement_policy_add_strategies(&pol, ps, "placementStrategy",
	    e) != 0 || placement_policy_add_constraints(&pol, pc,
	    "placementConstraints", e) != 0)
		goto out;
	if (ps != NULL)
		*strategies = placement_policy_strategies_json(&pol);
	if (pc != NULL)
		*constraints = placement_policy_constraints_json(&pol);
	ret = 0;
out:
	placement_policy_clear(&pol);
	return ret;
}
