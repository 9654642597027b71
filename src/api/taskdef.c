/* taskdef: not written yet; every operation answers that it is not implemented. */
#include "api/internal.h"

int
api_register_task_definition(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}

int
api_describe_task_definition(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}

int
api_list_task_definitions(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}

int
api_list_task_definition_families(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}

int
api_deregister_task_definition(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}

int
api_delete_task_definitions(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}
