/* Fault state that outlives a command (store/fault.c). Include after
 * store/store.h. */
#ifndef ECSIM_STORE_FAULT_H
#define ECSIM_STORE_FAULT_H

/* Sets (value not NULL) or removes the override of behaviour label key for
 * images matching pattern (an image, or a prefix ending in '*'). */
int	store_image_behaviour_set(struct store *st, const char *pattern,
	    const char *key, const char *value, struct err *e);
/*
 * Every override as [{pattern, key, value}], the least specific first:
 * prefix patterns by length, then exact images; so applying them in order
 * lets the most specific win. NULL with e set on error; caller frees.
 */
cJSON	*store_image_behaviours(struct store *st, struct err *e);

#endif
