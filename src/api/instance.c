/* instance: not written yet; every operation answers that it is not implemented. */
#include "api/internal.h"

int
api_register_container_instance(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}

int
api_deregister_container_instance(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}

int
api_describe_container_instances(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}

int
api_list_container_instances(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}

int
api_update_container_instances_state(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}
