/* task: not written yet; every operation answers that it is not implemented. */
#include "api/internal.h"

int
api_run_task(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}

int
api_start_task(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}

int
api_stop_task(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}

int
api_describe_tasks(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}

int
api_list_tasks(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}
