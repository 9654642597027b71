/* The EventBridge envelope around an outbox event, built in one place for
 * every sink and the event stream. */
#include <string.h>

#include "events/events.h"
#include "store/store.h"

cJSON *
events_envelope(const struct store_event *ev, const char *region,
    const char *account)
{
	struct prng	 p;
	cJSON		*j = cJSON_CreateObject(), *res;
	char		 id[ID_UUID_LEN], when[TIME_ISO_LEN];

	/*
	 * The id is drawn from a PRNG of its own seeded with the row's seq
	 * and time: a redelivered event keeps its id (at-least-once
	 * consumers drop duplicates by it), the engine's PRNG is left alone
	 * (sinks must not change a seeded run), and after POST /ecsim/reset
	 * restarts seq the ids still differ, the time having moved on.
	 */
	prng_seed(&p, (uint64_t)ev->seq * 0x9e3779b97f4a7c15ULL ^
	    (uint64_t)ev->time ^ str_hash(account));
	id_uuid(&p, id);
	time_iso8601(ev->time, 0, when);
	cJSON_AddStringToObject(j, "version", "0");
	cJSON_AddStringToObject(j, "id", id);
	cJSON_AddStringToObject(j, "detail-type", ev->detail_type);
	cJSON_AddStringToObject(j, "source", ev->source);
	cJSON_AddStringToObject(j, "account", account);
	cJSON_AddStringToObject(j, "time", when);
	cJSON_AddStringToObject(j, "region", region);
	res = cJSON_AddArrayToObject(j, "resources");
	if (ev->resource != NULL && ev->resource[0] != '\0')
		cJSON_AddItemToArray(res, cJSON_CreateString(ev->resource));
	cJSON_AddItemToObject(j, "detail", ev->detail != NULL ?
	    cJSON_Duplicate(ev->detail, 1) : cJSON_CreateObject());
	return j;
}
