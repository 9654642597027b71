/* Allocation wrappers that abort when memory runs out, and logging. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

int log_verbose;

static void
xfatal(const char *what, size_t n)
{
	fprintf(stderr, "ecsim: out of memory (%s of %zu bytes)\n", what, n);
	abort();
}

void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		xfatal("malloc", n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		xfatal("calloc", n * size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void	*q;

	if ((q = realloc(p, n == 0 ? 1 : n)) == NULL)
		xfatal("realloc", n);
	return q;
}

void *
xgrow(void *v, size_t len, size_t *cap, size_t size)
{
	if (len >= *cap) {
		*cap = *cap ? *cap * 2 : 16;
		v = xrealloc(v, *cap * size);
	}
	memset((char *)v + len * size, 0, size);
	return v;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p;
	size_t	 len = strnlen(s, n);

	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void *
xmemdup(const void *p, size_t n)
{
	void	*q = xmalloc(n);

	memcpy(q, p, n);
	return q;
}

/*
 * Whether fmt converts only strings (%s, %.*s) and has %% besides: every
 * ARN's format, which xvprintf then writes without vsnprintf, whose
 * start-up cost more than the copying.
 */
static int
strings_only(const char *fmt)
{
	for (; (fmt = strchr(fmt, '%')) != NULL; fmt++) {
		if (fmt[1] == '%' || fmt[1] == 's')
			fmt++;
		else if (strncmp(fmt + 1, ".*s", 3) == 0)
			fmt += 3;
		else
			return 0;
	}
	return 1;
}

/* Copies what fmt (strings_only) makes into out, or when out is NULL
 * only counts it; NULL strings as printf writes them. */
static size_t
strings_put(char *out, const char *fmt, va_list ap)
{
	const char	*s;
	size_t		 n = 0, len;
	int		 prec;

	for (; *fmt != '\0'; fmt++) {
		if (*fmt != '%') {
			if (out != NULL)
				out[n] = *fmt;
			n++;
			continue;
		}
		prec = -1;
		switch (*++fmt) {
		case '%':
			if (out != NULL)
				out[n] = '%';
			n++;
			continue;
		case '.':
			prec = va_arg(ap, int);
			fmt += 2;
			break;
		}
		if ((s = va_arg(ap, const char *)) == NULL)
			s = "(null)";
		len = prec < 0 ? strlen(s) : strnlen(s, (size_t)prec);
		if (out != NULL)
			memcpy(out + n, s, len);
		n += len;
	}
	if (out != NULL)
		out[n] = '\0';
	return n;
}

char *
xvprintf(const char *fmt, va_list ap)
{
	va_list	 ap2;
	char	 tmp[256], *p;
	int	 n;
	size_t	 len;

	if (strings_only(fmt)) {
		va_copy(ap2, ap);
		len = strings_put(NULL, fmt, ap2);
		va_end(ap2);
		p = xmalloc(len + 1);
		strings_put(p, fmt, ap);
		return p;
	}

	/* Formatted once when it fits (ARNs do), twice when it does not. */
	va_copy(ap2, ap);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		xfatal("vsnprintf", 0);
	p = xmalloc((size_t)n + 1);
	if ((size_t)n < sizeof tmp)
		memcpy(p, tmp, (size_t)n + 1);
	else
		vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

int
xasprintf(char **out, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	*out = xvprintf(fmt, ap);
	va_end(ap);
	return (int)strlen(*out);
}

char *
xprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	va_start(ap, fmt);
	p = xvprintf(fmt, ap);
	va_end(ap);
	return p;
}

static void	log_v(const char *, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));

static void
log_v(const char *level, const char *fmt, va_list ap)
{
	fprintf(stderr, "ecsim: %s", level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_v("", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_v("warning: ", fmt, ap);
	va_end(ap);
}

static log_hook_fn	 log_hook;
static void		*log_hook_arg;

void
log_set_hook(log_hook_fn fn, void *arg)
{
	log_hook = fn;
	log_hook_arg = arg;
}

int
log_debug_on(void)
{
	return log_hook != NULL || log_verbose;
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;
	char	*line;

	if (log_hook != NULL) {
		va_start(ap, fmt);
		line = xvprintf(fmt, ap);
		va_end(ap);
		log_hook(log_hook_arg, line);
		free(line);
		return;
	}
	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_v("debug: ", fmt, ap);
	va_end(ap);
}
