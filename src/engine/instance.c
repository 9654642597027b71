/* Container instance changes: the version bump and the "ECS Container
 * Instance State Change" event, in the transaction of the change. */
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"

/* "arn:...:container-instance/<cluster>/<id>" -> the cluster's ARN. */
static char *
instance_cluster_arn(struct engine *eng, const char *arn)
{
	const char	*p, *slash;

	if ((p = strstr(arn, ":container-instance/")) == NULL)
		return engine_arn(eng, "cluster/default");
	p += strlen(":container-instance/");
	if ((slash = strchr(p, '/')) == NULL)
		return engine_arn(eng, "cluster/default");
	return engine_arn(eng, "cluster/%.*s", (int)(slash - p), p);
}

#ifdef ECSIM_CHECK_VIEWS
/* The sanitizer build: what the view gave an instance's event is what the
 * store says, read afresh. */
static int
instance_check(struct engine *eng, const char *arn, const char *packed,
    size_t len, const char *cluster_arn, const char *when, struct err *e)
{
	const struct json_out	*fresh;
	cJSON			*a, *b;
	char			*ta, *tb;
	int			 same;

	/* Unpacked and printed: the view's attributes are raw text. */
	a = json_unpack(packed, len);
	if ((fresh = store_instance_event_pack(eng->st, arn, NULL, NULL,
	    cluster_arn, when, e)) == NULL) {
		cJSON_Delete(a);
		return -1;
	}
	b = json_unpack(fresh->buf, fresh->len);
	ta = json_print(a);
	tb = json_print(b);
	same = strcmp(ta, tb) == 0;
	free(ta);
	free(tb);
	cJSON_Delete(a);
	cJSON_Delete(b);
	return same ? 0 : err_set(e, ERR_INTERNAL, "the placement view's "
	    "usage of %s differs from the store's", arn);
}
#endif

static int
instance_changed(struct engine *eng, const char *arn, int row_changed,
    struct err *e)
{
	const char		*attributes;
	const struct json_out	*o = NULL;
	struct instance_usage	 u;
	char			*cluster_arn, when[TIME_ISO_LEN], *packed;
	int64_t			 now = engine_now(eng);
	int			 ret = -1, kept;
	size_t			 len;

	kept = engine_view_touch(eng, arn, row_changed, &attributes, &u);
	cluster_arn = instance_cluster_arn(eng, arn);
	time_iso8601(now, 1, when);
	if (store_instance_touch(eng->st, arn, now, e) == 0)
		o = store_instance_event_pack(eng->st, arn, attributes,
		    kept ? &u : NULL, cluster_arn, when, e);
	cJSON_Delete(u.ports);
	cJSON_Delete(u.ports_udp);
	if (o == NULL)
		goto out;
	packed = o->buf;
	len = o->len;
#ifdef ECSIM_CHECK_VIEWS
	/* The check packs into the same buffer: keep a copy. */
	packed = xmemdup(o->buf, o->len);
	if (kept && instance_check(eng, arn, packed, len, cluster_arn, when,
	    e) != 0) {
		free(packed);
		goto out;
	}
#endif
	ret = store_event_append_packed(eng->st, now, "aws.ecs",
	    "ECS Container Instance State Change", arn, packed, len, e);
#ifdef ECSIM_CHECK_VIEWS
	free(packed);
#endif
out:
	free(cluster_arn);
	return ret;
}

int
engine_instance_changed(struct engine *eng, const char *arn, struct err *e)
{
	return instance_changed(eng, arn, 1, e);
}

int
engine_instance_loaded(struct engine *eng, const char *arn, struct err *e)
{
	return instance_changed(eng, arn, 0, e);
}
