/* Utilities every module uses: errors, allocation, logging, the seeded PRNG,
 * identifiers and time formatting. */
#ifndef ECSIM_UTIL_H
#define ECSIM_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

/*
 * Error codes are what went wrong, in the engine's words. Only the API layer
 * maps them to an AWS __type and HTTP status; only main maps them to exit
 * codes.
 */
enum err_code {
	ERR_NONE = 0,
	ERR_INVALID,		/* a parameter is wrong */
	ERR_CLIENT,		/* the request cannot be done as asked */
	ERR_CLUSTER_NOT_FOUND,
	ERR_SERVICE_NOT_FOUND,
	ERR_SERVICE_NOT_ACTIVE,
	ERR_CLUSTER_HAS_SERVICES,
	ERR_CLUSTER_HAS_INSTANCES,
	ERR_CLUSTER_HAS_TASKS,
	ERR_RESOURCE_NOT_FOUND,
	ERR_RESOURCE_IN_USE,
	ERR_TARGET_NOT_FOUND,
	ERR_ATTRIBUTE_LIMIT,
	ERR_LIMIT,
	ERR_UNSUPPORTED,
	ERR_NOT_IMPLEMENTED,
	ERR_UNKNOWN_OPERATION,
	ERR_SERIALIZATION,
	ERR_ACCESS_DENIED,
	ERR_INTERNAL,
};

#define ERR_MSG_MAX 256

struct err {
	enum err_code	code;
	char		msg[ERR_MSG_MAX];
};

/* Fills e (which may be NULL) and returns -1, so a failure is one line. */
int	err_set(struct err *e, enum err_code code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	err_clear(struct err *e);

/* Allocation that aborts on exhaustion. */
void	*xmalloc(size_t n);
void	*xcalloc(size_t n, size_t size);
void	*xrealloc(void *p, size_t n);
/*
 * Makes room for element len of an array of *cap elements of size bytes,
 * doubling (from 16) when full, and zeroes that element. Returns the
 * array: `v = xgrow(v, n, &cap, sizeof *v); e = &v[n++];`.
 */
void	*xgrow(void *v, size_t len, size_t *cap, size_t size);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
/* A copy of the n bytes at p (packed JSON, which holds NULs). */
void	*xmemdup(const void *p, size_t n);
int	 xasprintf(char **out, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
char	*xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char	*xvprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Logging to stderr; log_debug only when log_verbose is set. */
extern int log_verbose;
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Whether a log_debug line goes anywhere: work only such a line needs
 * can be skipped when not. */
int	log_debug_on(void);
/* With a hook set, each log_debug line goes to fn instead, whatever
 * log_verbose says (ecsim run --trace stamps it with the virtual time). */
typedef void (*log_hook_fn)(void *arg, const char *line);
void	log_set_hook(log_hook_fn fn, void *arg);

/*
 * The seeded PRNG (xoshiro256**, seeded through splitmix64). Everything
 * random in ecsim draws from one of these, so a seed replays a run.
 */
struct prng {
	uint64_t	s[4];
};
void		prng_seed(struct prng *p, uint64_t seed);
uint64_t	prng_next(struct prng *p);
/* Uniform in [0, n); n > 0. */
uint64_t	prng_below(struct prng *p, uint64_t n);
/* Uniform in [0, 1). */
double		prng_double(struct prng *p);

/* Identifiers drawn from a PRNG. Buffers must hold the sizes below. */
#define ID_HEX32_LEN	33	/* 32 hex digits + NUL: task and instance ids */
#define ID_UUID_LEN	37	/* 8-4-4-4-12 + NUL: event and request ids */
#define ID_DIGITS19_LEN	20	/* deployment ids: ecs-svc/<19 digits> */
void	id_hex32(struct prng *p, char out[ID_HEX32_LEN]);
void	id_uuid(struct prng *p, char out[ID_UUID_LEN]);
void	id_digits19(struct prng *p, char out[ID_DIGITS19_LEN]);

/* Time values are milliseconds since the Unix epoch, from the clock module. */
#define TIME_ISO_LEN	64
/* 2020-01-23T17:57:58.123Z when millis, else 2020-01-23T17:57:58Z. */
void	time_iso8601(int64_t ms, int millis, char out[TIME_ISO_LEN]);
/*
 * Parses a duration such as "90", "90s", "1.5m", "2h", "250ms" into
 * milliseconds. Returns -1 with e set when it is not one.
 */
int	time_parse_duration(const char *s, int64_t *ms, struct err *e);

/* What ECS registers for a few EC2 instance types (util/itype.c): 1,024
 * CPU units a vCPU, the memory left after the OS and agent take theirs. */
struct instance_type {
	const char	*name;
	int		 cpu;
	int		 memory;
};
/* NULL when ecsim does not know the type. */
const struct instance_type *instance_type_find(const char *name);
/* The names ecsim knows, joined with ", "; the caller frees it. */
char	*instance_type_names(void);
/*
 * The RegisterContainerInstance body a simulated EC2 instance's agent
 * sends: its identity document (with an instance id drawn from p) and its
 * CPU and memory. The caller frees it with cJSON_Delete.
 */
struct instance_reg {
	const char	*cluster, *region, *zone, *account, *type;
	int64_t		 cpu, memory;
};
struct cJSON;

/*
 * Compact JSON text of a cJSON tree (util/json.c), what
 * cJSON_PrintUnformatted writes, only faster. json_write appends to
 * out->buf, always NUL-terminated (start from a zeroed json_out; the
 * caller frees buf); json_print returns a string the caller frees.
 */
struct json_out {
	char	*buf;
	size_t	 len, cap;
};
void	json_write(struct json_out *out, const struct cJSON *j);
char	*json_print(const struct cJSON *j);
/* Appends the n bytes at s to out, keeping it NUL-terminated. */
void	json_out_put(struct json_out *out, const char *s, size_t n);
/*
 * Members added under a key that outlives the tree, a string literal:
 * cJSON keeps the pointer (cJSON_StringIsConst) instead of a copy to
 * allocate and free. Events and described tasks and instances are built
 * of dozens of them, each printed once and freed.
 */
void	json_add_item(struct cJSON *o, const char *key, struct cJSON *item);
void	json_add_string(struct cJSON *o, const char *key, const char *value);
void	json_add_number(struct cJSON *o, const char *key, double value);
void	json_add_bool(struct cJSON *o, const char *key, int value);
/*
 * Whether a and b are the same JSON with their members in the same order
 * (both NULL counts): for trees one writer built, which would print the
 * same. cJSON_Compare allows any member order, looking each member up in
 * the other object, which costs a look-up per member both ways.
 */
int	json_equal(const struct cJSON *a, const struct cJSON *b);
/* Member name of object o (case matters), or NULL: what
 * cJSON_GetObjectItemCaseSensitive finds, found faster. */
struct cJSON *json_member(const struct cJSON *o, const char *name);
/* The tree cJSON_ParseWithLength gives for the len bytes at text (bytes
 * after the value ignored, as there), or NULL when they are not JSON;
 * for the store's own text, faster. */
struct cJSON	*json_parse(const char *text, size_t len);
/*
 * A tree packed into bytes appended to out (the format is in
 * util/json.c), and back: the outbox keeps events' details this way,
 * written in about half the time of JSON text. json_unpack gives the
 * tree, or NULL when the len bytes at p are not exactly one packed value;
 * json_unpack_v1 the same for the format's first version.
 */
void		 json_pack(struct json_out *out, const struct cJSON *j);
struct cJSON	*json_unpack(const char *p, size_t len);
struct cJSON	*json_unpack_v1(const char *p, size_t len);
/*
 * Packing a value as it is made, with no tree: an object is
 * json_pack_open(out, 1), then for each member json_pack_key and its
 * value, then json_pack_close(out, 1); an array (obj 0) the same without
 * keys. json_pack packs a whole tree as one value.
 */
void	json_pack_open(struct json_out *out, int obj);
void	json_pack_close(struct json_out *out, int obj);
void	json_pack_key(struct json_out *out, const char *key);
void	json_pack_string(struct json_out *out, const char *s);
void	json_pack_number(struct json_out *out, double d);
void	json_pack_bool(struct json_out *out, int v);
/* JSON text as it is, packed raw: unpacked as parsed. */
void	json_pack_raw(struct json_out *out, const char *text);
/* Members: key and a string (none for NULL), a number, or an empty list
 * (obj 0) or object (obj 1). */
void	json_pack_string_member(struct json_out *out, const char *key,
	    const char *s);
void	json_pack_number_member(struct json_out *out, const char *key,
	    double d);
void	json_pack_empty_member(struct json_out *out, const char *key, int obj);
/*
 * The members of a packed object, read where they are: no tree is made.
 * json_members_begin is 0 when the len bytes at p are an object, else -1
 * (as for p NULL);
 * json_members_next fills *m and is 1, then 0 after the last member, or
 * -1 when the bytes are damaged. key and a string's value point into the
 * packed bytes, NUL-terminated.
 */
struct json_members {
	const char	*p, *end;
};
struct json_member {
	const char	*key;
	char		 tag;		/* the value's tag ('s', 'i', '{', ...) */
	const char	*string;	/* 's': the string, else NULL */
	double		 number;	/* 'i' or 'd': the number, else 0 */
	const char	*value;		/* the packed value, for json_unpack */
	size_t		 len;
};
int	json_members_begin(struct json_members *it, const char *p, size_t len);
int	json_members_next(struct json_members *it, struct json_member *m);
/* The string member key of the packed object at p, or NULL. */
const char	*json_packed_string(const char *p, size_t len, const char *key);

struct cJSON	*instance_registration(const struct instance_reg *r,
		    struct prng *p);

/* String helpers. */
int	str_has_prefix(const char *s, const char *prefix);
/* v in decimal into buf, which it returns: what "%lld" writes, without
 * printf (events format a few of these each). */
#define INT_TEXT_LEN	24
char	*int_text(int64_t v, char buf[INT_TEXT_LEN]);
/* The same without a NUL, written back from end (room for INT_TEXT_LEN - 1
 * bytes before it): returns where it begins. */
char	*int_digits(int64_t v, char *end);
/* 1 when s is 1..max chars of [A-Za-z0-9_-]; the ECS name rule. */
int	str_is_ecs_name(const char *s, size_t max);
/* The first n of items (n < 0: up to a NULL) joined with sep; the
 * caller frees it. For messages that list what is allowed. */
char	*str_join(const char *const *items, int n, const char *sep);
/* A string's hash, for mixing strings into seeds and hash tables. */
uint64_t str_hash(const char *s);

/*
 * An open-addressing hash table on string keys (util/table.c): elements
 * of elem bytes, each beginning with its key, a char * the table owns, and
 * each key's hash kept beside it, so that a probe reads another key only
 * when the hashes agree. Elements move when the table grows (any
 * table_get may), their keys' strings do not: a key can stand for its
 * element. table_at is slot i of nslots, empty when its key is NULL.
 */
struct table {
	char		*slots;
	uint64_t	*hashes;
	size_t		 elem, nslots, used;
};
void	 table_init(struct table *tb, size_t elem);
/* Frees the keys and the arrays; what elements point to is the caller's. */
void	 table_free(struct table *tb);
/* The element of key, made (zeroed but for its key) when *fresh. */
void	*table_get(struct table *tb, const char *key, int *fresh);
/* The element of key, or NULL. */
void	*table_find(const struct table *tb, const char *key);
void	*table_at(const struct table *tb, size_t i);

#endif
