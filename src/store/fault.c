/* Fault state kept in the database: behaviour overrides by image. */
#include <stdlib.h>

#include "store/internal.h"
#include "store/store-fault.h"

static const char SQL_IMAGE_BEHAVIOUR_PUT[] =
    "INSERT INTO image_behaviours (pattern, key, value) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (pattern, key) DO UPDATE SET value = excluded.value";
static const char SQL_IMAGE_BEHAVIOUR_DELETE[] =
    "DELETE FROM image_behaviours WHERE pattern = ?1 AND key = ?2";

int
store_image_behaviour_set(struct store *st, const char *pattern,
    const char *key, const char *value, struct err *e)
{
	sqlite3_stmt	*s = store_stmt(st, value != NULL ?
			    SQL_IMAGE_BEHAVIOUR_PUT : SQL_IMAGE_BEHAVIOUR_DELETE);

	bind_text(s, 1, pattern);
	bind_text(s, 2, key);
	if (value != NULL)
		bind_text(s, 3, value);
	cJSON_Delete(st->behaviours);
	st->behaviours = NULL;
	return store_exec_stmt(st, s, e);
}

static const char SQL_IMAGE_BEHAVIOURS[] =
    "SELECT pattern, key, value FROM image_behaviours "
    "ORDER BY substr(pattern, -1) != '*', length(pattern), pattern, key";

/* Every task's creation reads them, and they are nearly always none:
 * the list is kept until a write, or until the store's generation moves
 * on (a rollback, a reset, another connection's commit). */
cJSON *
store_image_behaviours(struct store *st, struct err *e)
{
	sqlite3_stmt	*s;
	cJSON		*list, *o;
	int		 rc;

	if (st->behaviours != NULL &&
	    st->behaviours_generation == st->generation)
		return cJSON_Duplicate(st->behaviours, 1);
	s = store_stmt(st, SQL_IMAGE_BEHAVIOURS);
	list = cJSON_CreateArray();
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "pattern", col_text(s, 0));
		cJSON_AddStringToObject(o, "key", col_text(s, 1));
		cJSON_AddStringToObject(o, "value", col_text(s, 2));
		cJSON_AddItemToArray(list, o);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		cJSON_Delete(list);
		store_fail(st, e, "reading image behaviours");
		return NULL;
	}
	cJSON_Delete(st->behaviours);
	st->behaviours = cJSON_Duplicate(list, 1);
	st->behaviours_generation = st->generation;
	return list;
}
