/* struct err: a code and a message the user reads, with no allocation. */
#include <stdio.h>
#include <string.h>

#include "util/util.h"

int
err_set(struct err *e, enum err_code code, const char *fmt, ...)
{
	va_list	ap;

	if (e == NULL)
		return -1;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

void
err_clear(struct err *e)
{
	if (e == NULL)
		return;
	e->code = ERR_NONE;
	e->msg[0] = '\0';
}
