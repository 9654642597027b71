/* tag: not written yet; every operation answers that it is not implemented. */
#include "api/internal.h"

int
api_tag_resource(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}

int
api_untag_resource(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}

int
api_list_tags_for_resource(struct api_ctx *c, const cJSON *req, cJSON *resp, struct err *e)
{
	(void)c;
	(void)req;
	(void)resp;
	return err_set(e, ERR_NOT_IMPLEMENTED, "%s is not implemented yet", __func__);
}
