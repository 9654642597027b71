/* service: not written yet; every operation answers that it is not implemented. */
#include "api/internal.h"

int
api_create_service(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}

int
api_update_service(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}

int
api_describe_services(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}

int
api_list_services(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}

int
api_delete_service(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}
