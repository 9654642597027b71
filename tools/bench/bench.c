/* ecsim-bench: an HTTP/1.1 keep-alive load generator for a running
 * `ecsim serve`. It sets up a cluster through the API, then drives one mix of
 * ECS calls over C non-blocking connections and reports rate and latency. */
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "util/util.h"

#define BENCH_TARGET_PREFIX	"AmazonEC2ContainerServiceV20141113."
#define BENCH_REQ_MAX		4096	/* one request, headers and body */
#define BENCH_IO_CHUNK		16384
#define BENCH_MAX_CONNS		1024
#define BENCH_MAX_SERVICES	100000
#define BENCH_MAX_INSTANCES	1000
#define BENCH_SETUP_TIMEOUT_MS	30000
#define BENCH_DRAIN_TIMEOUT_MS	10000

/* The operations the mixes are made of. */
enum bench_op {
	OP_DESCRIBE_SERVICES,
	OP_DESCRIBE_CLUSTERS,
	OP_LIST_SERVICES,
	OP_LIST_TASKS,
	OP_LIST_CLUSTERS,
	OP_CREATE_SERVICE,
	OP_HEALTH,
};
#define OP_COUNT	(OP_HEALTH + 1)

static const char *const op_names[OP_COUNT] = {
	"DescribeServices",
	"DescribeClusters",
	"ListServices",
	"ListTasks",
	"ListClusters",
	"CreateService",
	"health",
};

/*
 * A mix is a weighted list of operations; each request draws one from the
 * seeded PRNG, so two runs with the same seed send the same sequence.
 */
struct bench_weight {
	enum bench_op	op;
	int		weight;
};

static const struct bench_mix {
	const char		*name;
	int			 needs_services;
	const char		*summary;
	struct bench_weight	 w[8];	/* ends at weight 0 */
} bench_mixes[] = {
	{ "describe-services", 1, "DescribeServices on the pre-created services",
	    { { OP_DESCRIBE_SERVICES, 1 } } },
	{ "describe-clusters", 0, "DescribeClusters on the bench cluster",
	    { { OP_DESCRIBE_CLUSTERS, 1 } } },
	{ "list", 0, "ListServices, ListTasks and ListClusters in equal parts",
	    { { OP_LIST_SERVICES, 1 }, { OP_LIST_TASKS, 1 },
	      { OP_LIST_CLUSTERS, 1 } } },
	{ "mix", 1, "10% CreateService (unique names), 40% DescribeServices,\n"
	    "                         20% ListServices, 10% each DescribeClusters,\n"
	    "                         ListTasks, ListClusters",
	    { { OP_CREATE_SERVICE, 10 }, { OP_DESCRIBE_SERVICES, 40 },
	      { OP_LIST_SERVICES, 20 }, { OP_DESCRIBE_CLUSTERS, 10 },
	      { OP_LIST_TASKS, 10 }, { OP_LIST_CLUSTERS, 10 } } },
	{ "health", 0, "POST /ecsim/health: the HTTP layer alone, no SQL",
	    { { OP_HEALTH, 1 } } },
};

/* Latencies in nanoseconds, appended as replies arrive. */
struct lat {
	uint64_t	*v;
	size_t		 n;
	size_t		 cap;
};

enum conn_state {
	CONN_IDLE,	/* connected, nothing in flight */
	CONN_CONNECTING,
	CONN_WRITING,
	CONN_READING,
};

struct conn {
	int		 fd;
	enum conn_state	 state;
	char		 out[BENCH_REQ_MAX];
	size_t		 outlen;
	size_t		 outoff;
	char		*in;
	size_t		 inlen;
	size_t		 incap;
	enum bench_op	 op;
	uint64_t	 start;		/* ns, CLOCK_MONOTONIC */
	int		 measured;	/* started after the warm-up */
	int		 pending;	/* a request waits for the connect */
};

/* One parsed reply. body points into the connection's input buffer. */
struct reply {
	int		 status;
	int		 close;		/* Connection: close */
	const char	*body;
	size_t		 bodylen;
	size_t		 total;		/* bytes consumed from the buffer */
};

struct bench {
	/* Options. */
	const char		*host;
	const char		*port;
	const struct bench_mix	*mix;
	const char		*cluster;
	int			 nconns;
	double			 duration;	/* seconds; 0 with -n */
	double			 warmup;
	long			 nrequests;	/* measured requests; 0 with -d */
	int			 nservices;
	int			 ninstances;
	int			 batch;		/* services per DescribeServices */
	int			 desired;
	uint64_t		 seed;
	int			 quiet;
	long			 server_pid;	/* 0: do not read its CPU time */

	struct addrinfo		*ai;
	struct prng		 prng;
	int			 wtotal;
	char			*taskdef_arn;
	int			 have_services;	/* setup created them */
	long			 next_service;	/* round robin */
	unsigned long		 next_create;

	struct conn		*conns;
	struct lat		 all;
	struct lat		 per_op[OP_COUNT];
	long			 sent;		/* measured requests sent */
	long			 done;
	long			 non200;
	long			 non200_op[OP_COUNT];
	long			 errors;	/* connection failures */
	long			 reconnects;
	double			 server_cpu;	/* seconds over the measurement */
	char			 first_error[512];
};

static volatile sig_atomic_t	bench_interrupted;

static void
bench_sigint(int sig)
{
	(void)sig;
	bench_interrupted = 1;
}

/*
 * This is a measuring tool, not the engine: it reads CLOCK_MONOTONIC itself
 * instead of going through the project's (virtual) clock module, because what
 * it measures is wall time as a client sees it.
 */
static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
lat_add(struct lat *l, uint64_t v)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4096;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = v;
}

static int
lat_cmp(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
lat_sort(struct lat *l)
{
	if (l->n > 0)
		qsort(l->v, l->n, sizeof *l->v, lat_cmp);
}

/* Nearest-rank percentile of a sorted array, in milliseconds. */
static double
lat_pct(const struct lat *l, double p)
{
	size_t	rank;

	if (l->n == 0)
		return 0.0;
	rank = (size_t)((p / 100.0) * (double)l->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > l->n)
		rank = l->n;
	return (double)l->v[rank - 1] / 1e6;
}

/*
 * CPU seconds (user + system) the process has used, from /proc/PID/stat, or
 * -1. With the server's pid this gives its cost per request, a figure that
 * holds even when other work shares the machine.
 */
static double
proc_cpu(long pid)
{
	char		 path[64], buf[1024], *p;
	unsigned long	 ut, st;
	FILE		*f;
	size_t		 n;

	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name is in parentheses and may hold spaces. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- connections ---- */

static void
conn_close(struct conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->state = CONN_IDLE;
	c->inlen = 0;
	c->outlen = c->outoff = 0;
}

static int
conn_open(struct bench *b, struct conn *c, struct err *e)
{
	struct addrinfo	*ai;
	int		 fd = -1, one = 1, flags;

	for (ai = b->ai; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd == -1)
			continue;
		flags = fcntl(fd, F_GETFL);
		if (flags == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
			close(fd);
			fd = -1;
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			c->state = CONN_IDLE;
			break;
		}
		if (errno == EINPROGRESS) {
			c->state = CONN_CONNECTING;
			break;
		}
		close(fd);
		fd = -1;
	}
	if (fd == -1)
		return err_set(e, ERR_CLIENT, "cannot connect to %s:%s: %s",
		    b->host, b->port, strerror(errno));
	c->fd = fd;
	c->inlen = 0;
	c->outlen = c->outoff = 0;
	return 0;
}

/* Formats a POST into c->out. op_name NULL means ecsim's health endpoint. */
static int
conn_format(struct bench *b, struct conn *c, const char *op_name,
    const char *body, struct err *e)
{
	size_t	blen = strlen(body);
	int	n;

	if (op_name == NULL)
		n = snprintf(c->out, sizeof c->out, "POST /ecsim/health HTTP/1.1\r\n"
		    "Host: %s:%s\r\nContent-Length: 0\r\n\r\n", b->host, b->port);
	else
		n = snprintf(c->out, sizeof c->out, "POST / HTTP/1.1\r\n"
		    "Host: %s:%s\r\n"
		    "Content-Type: application/x-amz-json-1.1\r\n"
		    "X-Amz-Target: " BENCH_TARGET_PREFIX "%s\r\n"
		    "Content-Length: %zu\r\n\r\n%s", b->host, b->port, op_name,
		    blen, body);
	if (n < 0 || (size_t)n >= sizeof c->out)
		return err_set(e, ERR_INVALID, "request for %s is over %d bytes",
		    op_name ? op_name : "health", BENCH_REQ_MAX);
	c->outlen = (size_t)n;
	c->outoff = 0;
	return 0;
}

/* Writes what the socket takes. 1 when all is out, 0 when it would block. */
static int
conn_write(struct conn *c, struct err *e)
{
	ssize_t	n;

	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return err_set(e, ERR_CLIENT, "send: %s",
			    strerror(errno));
		}
		c->outoff += (size_t)n;
	}
	return 1;
}

/* Reads what is there. 0 ok (maybe nothing), -1 on error or EOF. */
static int
conn_read(struct conn *c, struct err *e)
{
	ssize_t	n;

	/* One recv a wake-up: poll is level-triggered, so what is left is
	 * reported again, and a reply usually fits in one read. */
	if (c->incap - c->inlen < BENCH_IO_CHUNK) {
		c->incap = c->incap ? c->incap * 2 : 2 * BENCH_IO_CHUNK;
		c->in = xrealloc(c->in, c->incap);
	}
	do
		n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen - 1, 0);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return err_set(e, ERR_CLIENT, "recv: %s", strerror(errno));
	}
	if (n == 0)
		return err_set(e, ERR_CLIENT, "the server closed the "
		    "connection");
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	return 0;
}

/*
 * Parses one reply from the front of c->in by its Content-Length. Returns 1
 * with r filled when a whole reply is there, 0 when more bytes are needed,
 * -1 when the bytes are not an HTTP/1.1 reply this tool can read.
 */
static int
reply_parse(const struct conn *c, struct reply *r, struct err *e)
{
	const char	*p, *end, *line, *eol, *v;
	long		 clen = -1;
	size_t		 hlen;

	if (c->inlen == 0)
		return 0;
	if ((end = strstr(c->in, "\r\n\r\n")) == NULL) {
		if (c->inlen > 65536)
			return err_set(e, ERR_CLIENT, "reply headers over 64 KiB");
		return 0;
	}
	hlen = (size_t)(end - c->in) + 4;
	memset(r, 0, sizeof *r);
	if (strncmp(c->in, "HTTP/1.", 7) != 0 || c->in[8] != ' ')
		return err_set(e, ERR_CLIENT, "not an HTTP/1.x reply: %.40s",
		    c->in);
	r->status = atoi(c->in + 9);
	p = strstr(c->in, "\r\n") + 2;
	for (line = p; line < end; line = eol + 2) {
		eol = strstr(line, "\r\n");
		if ((v = memchr(line, ':', (size_t)(eol - line))) == NULL)
			continue;
		v++;
		while (*v == ' ' || *v == '\t')
			v++;
		if (strncasecmp(line, "Content-Length:", 15) == 0)
			clen = strtol(v, NULL, 10);
		else if (strncasecmp(line, "Connection:", 11) == 0 &&
		    strncasecmp(v, "close", 5) == 0)
			r->close = 1;
		else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0)
			return err_set(e, ERR_CLIENT, "chunked replies are not "
			    "supported; ecsim sends Content-Length");
	}
	if (clen < 0)
		return err_set(e, ERR_CLIENT, "reply without Content-Length");
	if (c->inlen < hlen + (size_t)clen)
		return 0;
	r->body = c->in + hlen;
	r->bodylen = (size_t)clen;
	r->total = hlen + (size_t)clen;
	return 1;
}

static void
conn_consume(struct conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->inlen - n + 1);
	c->inlen -= n;
}

/* ---- setup: blocking calls over one connection ---- */

/*
 * One call, waited for. Caller frees *out (the reply body) with free().
 * Returns -1 only when the exchange fails; a non-200 status is in *status.
 */
static int
bench_call(struct bench *b, struct conn *c, const char *op, const char *body,
    int *status, char **out, struct err *e)
{
	struct pollfd	pfd;
	struct reply	r;
	int		rc;

	if (c->fd == -1 && conn_open(b, c, e) != 0)
		return -1;
	if (conn_format(b, c, op, body, e) != 0)
		return -1;
	for (;;) {
		pfd.fd = c->fd;
		pfd.events = c->outoff < c->outlen ? POLLOUT : POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, BENCH_SETUP_TIMEOUT_MS);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc <= 0)
			goto fail_timeout;
		if (c->outoff < c->outlen) {
			if (conn_write(c, e) == -1)
				goto fail;
			continue;
		}
		if (conn_read(c, e) == -1)
			goto fail;
		if ((rc = reply_parse(c, &r, e)) == -1)
			goto fail;
		if (rc == 1)
			break;
	}
	*status = r.status;
	*out = xstrndup(r.body, r.bodylen);
	conn_consume(c, r.total);
	if (r.close)
		conn_close(c);
	return 0;

fail_timeout:
	err_set(e, ERR_CLIENT, "%s: no reply within %d ms", op,
	    BENCH_SETUP_TIMEOUT_MS);
fail:
	conn_close(c);
	return -1;
}

/* bench_call on a cJSON body; 0 only for a 200, with *out parsed (or NULL). */
static int
bench_call_json(struct bench *b, struct conn *c, const char *op, cJSON *req,
    cJSON **out, struct err *e)
{
	char	*body = cJSON_PrintUnformatted(req), *resp = NULL;
	int	 status, ret = -1;

	if (out != NULL)
		*out = NULL;
	if (bench_call(b, c, op, body, &status, &resp, e) != 0)
		goto out;
	if (status != 200) {
		err_set(e, ERR_CLIENT, "%s: HTTP %d: %.200s", op, status, resp);
		goto out;
	}
	if (out != NULL && (*out = cJSON_Parse(resp)) == NULL) {
		err_set(e, ERR_CLIENT, "%s: the reply is not JSON: %.100s", op,
		    resp);
		goto out;
	}
	ret = 0;
out:
	cJSON_free(body);
	free(resp);
	return ret;
}

static void
service_name(char *out, size_t len, long i)
{
	snprintf(out, len, "bench-svc-%ld", i);
}

static int
setup_instances(struct bench *b, struct conn *c, struct err *e)
{
	static const char	 zones[] = "abc";
	cJSON			*req, *resp = NULL, *res, *j;
	char			*doc, id[32];
	int			 have = 0, i, ret = -1;

	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "cluster", b->cluster);
	cJSON_AddNumberToObject(req, "maxResults", 100);
	if (bench_call_json(b, c, "ListContainerInstances", req, &resp, e) != 0)
		goto out;
	have = cJSON_GetArraySize(cJSON_GetObjectItem(resp,
	    "containerInstanceArns"));
	for (i = have; i < b->ninstances; i++) {
		cJSON_Delete(req);
		j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "region", "us-east-1");
		doc = xprintf("us-east-1%c", zones[i % 3]);
		cJSON_AddStringToObject(j, "availabilityZone", doc);
		free(doc);
		snprintf(id, sizeof id, "i-%017" PRIx64,
		    (uint64_t)(prng_next(&b->prng) & 0xfffffffffffffffULL));
		cJSON_AddStringToObject(j, "instanceId", id);
		cJSON_AddStringToObject(j, "instanceType", "m5.xlarge");
		doc = cJSON_PrintUnformatted(j);
		cJSON_Delete(j);
		req = cJSON_CreateObject();
		cJSON_AddStringToObject(req, "cluster", b->cluster);
		cJSON_AddStringToObject(req, "instanceIdentityDocument", doc);
		cJSON_free(doc);
		res = cJSON_AddArrayToObject(req, "totalResources");
		j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "name", "CPU");
		cJSON_AddStringToObject(j, "type", "INTEGER");
		cJSON_AddNumberToObject(j, "integerValue", 4096);
		cJSON_AddItemToArray(res, j);
		j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "name", "MEMORY");
		cJSON_AddStringToObject(j, "type", "INTEGER");
		cJSON_AddNumberToObject(j, "integerValue", 15576);
		cJSON_AddItemToArray(res, j);
		if (bench_call_json(b, c, "RegisterContainerInstance", req,
		    NULL, e) != 0)
			goto out;
	}
	ret = 0;
out:
	cJSON_Delete(req);
	cJSON_Delete(resp);
	return ret;
}

static cJSON *
create_service_request(struct bench *b, const char *name, int desired)
{
	cJSON	*req = cJSON_CreateObject();

	cJSON_AddStringToObject(req, "cluster", b->cluster);
	cJSON_AddStringToObject(req, "serviceName", name);
	cJSON_AddStringToObject(req, "taskDefinition", b->taskdef_arn);
	cJSON_AddNumberToObject(req, "desiredCount", desired);
	cJSON_AddStringToObject(req, "launchType", "EC2");
	return req;
}

/*
 * Creates bench-svc-0 .. N-1 unless DescribeServices already shows them
 * ACTIVE, so the tool can run again against the same server.
 */
static int
setup_services(struct bench *b, struct conn *c, struct err *e)
{
	cJSON	*req, *resp = NULL, *names, *svc;
	char	 name[64];
	char	*active;
	long	 i, k, n = b->nservices;
	int	 ret = -1;
	const char *st, *sn;

	active = xcalloc((size_t)n, 1);
	for (i = 0; i < n; i += 10) {
		req = cJSON_CreateObject();
		cJSON_AddStringToObject(req, "cluster", b->cluster);
		names = cJSON_AddArrayToObject(req, "services");
		for (k = i; k < i + 10 && k < n; k++) {
			service_name(name, sizeof name, k);
			cJSON_AddItemToArray(names, cJSON_CreateString(name));
		}
		if (bench_call_json(b, c, "DescribeServices", req, &resp,
		    e) != 0) {
			cJSON_Delete(req);
			goto out;
		}
		cJSON_Delete(req);
		cJSON_ArrayForEach(svc, cJSON_GetObjectItem(resp, "services")) {
			st = cJSON_GetStringValue(cJSON_GetObjectItem(svc,
			    "status"));
			sn = cJSON_GetStringValue(cJSON_GetObjectItem(svc,
			    "serviceName"));
			if (st == NULL || sn == NULL ||
			    strcmp(st, "ACTIVE") != 0 ||
			    strncmp(sn, "bench-svc-", 10) != 0)
				continue;
			k = strtol(sn + 10, NULL, 10);
			if (k >= 0 && k < n)
				active[k] = 1;
		}
		cJSON_Delete(resp);
		resp = NULL;
	}
	for (i = 0; i < n; i++) {
		if (active[i])
			continue;
		service_name(name, sizeof name, i);
		req = create_service_request(b, name, b->desired);
		if (bench_call_json(b, c, "CreateService", req, NULL, e) != 0) {
			cJSON_Delete(req);
			goto out;
		}
		cJSON_Delete(req);
	}
	ret = 0;
out:
	free(active);
	return ret;
}

static int
setup_taskdef(struct bench *b, struct conn *c, struct err *e)
{
	cJSON		*req, *resp = NULL, *cd, *j;
	const char	*arn;
	int		 ret = -1;

	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "family", "bench");
	cd = cJSON_AddArrayToObject(req, "containerDefinitions");
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "name", "app");
	cJSON_AddStringToObject(j, "image", "public.ecr.aws/nginx/nginx:latest");
	cJSON_AddNumberToObject(j, "cpu", 128);
	cJSON_AddNumberToObject(j, "memory", 128);
	cJSON_AddBoolToObject(j, "essential", 1);
	cJSON_AddItemToArray(cd, j);
	if (bench_call_json(b, c, "RegisterTaskDefinition", req, &resp, e) != 0)
		goto out;
	arn = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    resp, "taskDefinition"), "taskDefinitionArn"));
	if (arn == NULL) {
		err_set(e, ERR_CLIENT, "RegisterTaskDefinition: no "
		    "taskDefinition.taskDefinitionArn in the reply");
		goto out;
	}
	free(b->taskdef_arn);
	b->taskdef_arn = xstrdup(arn);
	ret = 0;
out:
	cJSON_Delete(req);
	cJSON_Delete(resp);
	return ret;
}

/*
 * The cluster is needed by every mix but health; the task definition,
 * instances and services only by the mixes that name services, so the others
 * still run against a server that cannot create services yet.
 */
static int
bench_setup(struct bench *b, struct err *e)
{
	struct conn	 c = { .fd = -1 };
	cJSON		*req;
	struct err	 se;
	uint64_t	 t0 = now_ns();
	int		 ret = -1;

	if (b->mix->w[0].op == OP_HEALTH)
		return 0;
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "clusterName", b->cluster);
	if (bench_call_json(b, &c, "CreateCluster", req, NULL, e) != 0)
		goto out;
	if (setup_taskdef(b, &c, &se) != 0 ||
	    setup_instances(b, &c, &se) != 0 ||
	    setup_services(b, &c, &se) != 0) {
		if (b->mix->needs_services) {
			err_set(e, se.code, "setting up %d instances and %d "
			    "services: %s", b->ninstances, b->nservices,
			    se.msg);
			goto out;
		}
		if (!b->quiet)
			fprintf(stderr, "ecsim-bench: warning: no instances "
			    "or services (%s); the %s mix goes on without "
			    "them\n", se.msg, b->mix->name);
	} else
		b->have_services = 1;
	if (!b->quiet)
		printf("setup        cluster %s, %d instances, %d services "
		    "in %.1f ms\n", b->cluster,
		    b->have_services ? b->ninstances : 0,
		    b->have_services ? b->nservices : 0,
		    (double)(now_ns() - t0) / 1e6);
	ret = 0;
out:
	conn_close(&c);
	free(c.in);
	cJSON_Delete(req);
	return ret;
}

/* ---- the load loop ---- */

static enum bench_op
bench_pick(struct bench *b)
{
	const struct bench_weight	*w = b->mix->w;
	int				 r;

	if (b->wtotal == w[0].weight)
		return w[0].op;
	r = (int)prng_below(&b->prng, (uint64_t)b->wtotal);
	for (; w->weight != 0; w++) {
		if (r < w->weight)
			return w->op;
		r -= w->weight;
	}
	return b->mix->w[0].op;
}

static int
bench_body(struct bench *b, enum bench_op op, char *buf, size_t len,
    struct err *e)
{
	char	 name[64];
	size_t	 off;
	int	 i, n = 0;

	switch (op) {
	case OP_DESCRIBE_SERVICES:
		n = snprintf(buf, len, "{\"cluster\":\"%s\",\"services\":[",
		    b->cluster);
		for (i = 0; i < b->batch && n > 0 && (size_t)n < len; i++) {
			service_name(name, sizeof name,
			    b->next_service++ % b->nservices);
			off = (size_t)n;
			n += snprintf(buf + off, len - off, "%s\"%s\"",
			    i ? "," : "", name);
		}
		if (n > 0 && (size_t)n < len)
			n += snprintf(buf + n, len - (size_t)n, "]}");
		break;
	case OP_DESCRIBE_CLUSTERS:
		n = snprintf(buf, len, "{\"clusters\":[\"%s\"]}", b->cluster);
		break;
	case OP_LIST_SERVICES:
		n = snprintf(buf, len, "{\"cluster\":\"%s\"}", b->cluster);
		break;
	case OP_LIST_TASKS:
		n = snprintf(buf, len, "{\"cluster\":\"%s\"}", b->cluster);
		break;
	case OP_LIST_CLUSTERS:
		n = snprintf(buf, len, "{}");
		break;
	case OP_CREATE_SERVICE:
		/* Unique across runs against one server: pid and a counter. */
		n = snprintf(buf, len, "{\"cluster\":\"%s\",\"serviceName\":"
		    "\"bench-mix-%ld-%lu\",\"taskDefinition\":\"%s\","
		    "\"desiredCount\":0,\"launchType\":\"EC2\"}", b->cluster,
		    (long)getpid(), b->next_create++, b->taskdef_arn);
		break;
	case OP_HEALTH:
		n = snprintf(buf, len, "%s", "");
		break;
	}
	if (n < 0 || (size_t)n >= len)
		return err_set(e, ERR_INVALID, "%s body over %zu bytes",
		    op_names[op], len);
	return 0;
}

static int
bench_send(struct bench *b, struct conn *c, int measured, struct err *e)
{
	char	body[BENCH_REQ_MAX];

	c->op = bench_pick(b);
	if (bench_body(b, c->op, body, sizeof body, e) != 0)
		return -1;
	if (conn_format(b, c, c->op == OP_HEALTH ? NULL : op_names[c->op],
	    body, e) != 0)
		return -1;
	c->measured = measured;
	if (measured)
		b->sent++;
	if (c->state == CONN_CONNECTING) {
		c->pending = 1;
		return 0;
	}
	c->state = CONN_WRITING;
	c->start = now_ns();
	if (conn_write(c, e) == -1)
		return -1;
	if (c->outoff == c->outlen)
		c->state = CONN_READING;
	return 0;
}

static void
bench_record_error(struct bench *b, const char *what)
{
	if (b->first_error[0] == '\0')
		snprintf(b->first_error, sizeof b->first_error, "%s", what);
}

/* A connection failed with e: count the request it carried, reconnect. */
static int
bench_conn_failed(struct bench *b, struct conn *c, struct err *e)
{
	struct err	ce;

	if (c->state == CONN_WRITING || c->state == CONN_READING ||
	    c->pending) {
		if (c->measured)
			b->errors++;
	}
	bench_record_error(b, e->msg);
	c->pending = 0;
	conn_close(c);
	b->reconnects++;
	if (b->reconnects > 100)
		return err_set(e, ERR_CLIENT, "over 100 reconnects; last: %s",
		    e->msg);
	if (conn_open(b, c, &ce) != 0)
		return err_set(e, ce.code, "%s", ce.msg);
	return 0;
}

static void
bench_done(struct bench *b, struct conn *c, const struct reply *r)
{
	uint64_t	lat = now_ns() - c->start;
	char		msg[300];

	c->state = CONN_IDLE;
	if (!c->measured)
		return;
	b->done++;
	lat_add(&b->all, lat);
	lat_add(&b->per_op[c->op], lat);
	if (r->status != 200) {
		b->non200++;
		b->non200_op[c->op]++;
		snprintf(msg, sizeof msg, "%s: HTTP %d: %.*s", op_names[c->op],
		    r->status, (int)(r->bodylen > 200 ? 200 : r->bodylen),
		    r->body);
		bench_record_error(b, msg);
	}
}

/* Handles poll events on one connection. -1 only when the run must stop. */
static int
bench_io(struct bench *b, struct conn *c, short revents, struct err *e)
{
	struct reply	r;
	int		rc, soerr = 0;
	socklen_t	sl = sizeof soerr;

	if (c->state == CONN_CONNECTING) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1 ||
		    soerr != 0) {
			err_set(e, ERR_CLIENT, "connect to %s:%s: %s", b->host,
			    b->port, strerror(soerr ? soerr : errno));
			return -1;
		}
		c->state = CONN_IDLE;
		if (c->pending) {
			c->pending = 0;
			c->state = CONN_WRITING;
			c->start = now_ns();
		}
		revents |= POLLOUT;
	}
	if (c->state == CONN_WRITING && (revents & (POLLOUT | POLLERR))) {
		if (conn_write(c, e) == -1)
			return bench_conn_failed(b, c, e);
		if (c->outoff == c->outlen)
			c->state = CONN_READING;
	}
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		if (conn_read(c, e) == -1)
			return bench_conn_failed(b, c, e);
		if (c->state != CONN_READING) {
			if (c->inlen == 0)
				return 0;
			err_set(e, ERR_CLIENT, "%zu bytes the server sent "
			    "unasked", c->inlen);
			return bench_conn_failed(b, c, e);
		}
		if ((rc = reply_parse(c, &r, e)) == -1)
			return bench_conn_failed(b, c, e);
		if (rc == 1) {
			bench_done(b, c, &r);
			conn_consume(c, r.total);
			if (r.close) {
				conn_close(c);
				if (conn_open(b, c, e) != 0)
					return -1;
				b->reconnects++;
			}
		}
	}
	return 0;
}

static int
bench_run(struct bench *b, double *elapsed, struct err *e)
{
	struct pollfd	*pfd;
	uint64_t	 t0, tmeasure, tend = 0, tdrain = 0, t;
	double		 cpu0 = -1, cpu1;
	int		 i, n, measuring, stopping = 0, busy, ret = -1;

	pfd = xcalloc((size_t)b->nconns, sizeof *pfd);
	b->conns = xcalloc((size_t)b->nconns, sizeof *b->conns);
	for (i = 0; i < b->nconns; i++)
		b->conns[i].fd = -1;
	for (i = 0; i < b->nconns; i++)
		if (conn_open(b, &b->conns[i], e) != 0)
			goto out;
	t0 = now_ns();
	tmeasure = t0 + (uint64_t)(b->warmup * 1e9);
	if (b->duration > 0)
		tend = tmeasure + (uint64_t)(b->duration * 1e9);
	measuring = b->warmup <= 0;
	if (measuring && b->server_pid > 0)
		cpu0 = proc_cpu(b->server_pid);
	for (;;) {
		t = now_ns();
		if (!measuring && t >= tmeasure) {
			measuring = 1;
			tmeasure = t;
			if (b->server_pid > 0)
				cpu0 = proc_cpu(b->server_pid);
			if (b->duration > 0)
				tend = t + (uint64_t)(b->duration * 1e9);
		}
		if (!stopping && (bench_interrupted ||
		    (measuring && tend != 0 && t >= tend) ||
		    (b->nrequests > 0 && b->sent >= b->nrequests))) {
			stopping = 1;
			tdrain = t + (uint64_t)BENCH_DRAIN_TIMEOUT_MS * 1000000;
		}
		busy = 0;
		for (i = 0; i < b->nconns; i++) {
			struct conn	*c = &b->conns[i];

			if (!stopping && c->state == CONN_IDLE && !c->pending &&
			    (b->nrequests == 0 || !measuring ||
			    b->sent < b->nrequests)) {
				if (bench_send(b, c, measuring, e) != 0 &&
				    bench_conn_failed(b, c, e) != 0)
					goto out;
			}
			if (c->state == CONN_WRITING ||
			    c->state == CONN_READING || c->pending)
				busy = 1;
			pfd[i].fd = c->fd;
			pfd[i].events = POLLIN;
			if (c->state == CONN_WRITING ||
			    c->state == CONN_CONNECTING)
				pfd[i].events |= POLLOUT;
			pfd[i].revents = 0;
		}
		if (stopping && !busy)
			break;
		if (stopping && now_ns() > tdrain) {
			err_set(e, ERR_CLIENT, "replies still missing %d ms "
			    "after the end", BENCH_DRAIN_TIMEOUT_MS);
			goto out;
		}
		n = poll(pfd, (nfds_t)b->nconns, 100);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			err_set(e, ERR_CLIENT, "poll: %s", strerror(errno));
			goto out;
		}
		for (i = 0; i < b->nconns && n > 0; i++) {
			if (pfd[i].revents == 0)
				continue;
			n--;
			if (bench_io(b, &b->conns[i], pfd[i].revents, e) != 0)
				goto out;
		}
	}
	*elapsed = (double)(now_ns() - tmeasure) / 1e9;
	b->server_cpu = -1;
	if (b->server_pid > 0 && cpu0 >= 0 &&
	    (cpu1 = proc_cpu(b->server_pid)) >= 0)
		b->server_cpu = cpu1 - cpu0;
	ret = 0;
out:
	for (i = 0; i < b->nconns; i++) {
		conn_close(&b->conns[i]);
		free(b->conns[i].in);
	}
	free(b->conns);
	b->conns = NULL;
	free(pfd);
	return ret;
}

/* ---- report ---- */

static void
bench_report(struct bench *b, double elapsed)
{
	double	rps = elapsed > 0 ? (double)b->done / elapsed : 0.0;
	double	cpu_pct = -1, cpu_us = -1;
	int	i, kinds = 0;

	if (b->server_cpu >= 0 && elapsed > 0 && b->done > 0) {
		cpu_pct = 100.0 * b->server_cpu / elapsed;
		cpu_us = 1e6 * b->server_cpu / (double)b->done;
	}

	lat_sort(&b->all);
	for (i = 0; i < OP_COUNT; i++) {
		lat_sort(&b->per_op[i]);
		kinds += b->per_op[i].n > 0;
	}
	if (!b->quiet) {
		printf("requests     %ld in %.2f s (%ld non-200, %ld connection "
		    "errors)\n", b->done, elapsed, b->non200, b->errors);
		printf("throughput   %.0f requests/s\n", rps);
		printf("latency ms   p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n",
		    lat_pct(&b->all, 50), lat_pct(&b->all, 90),
		    lat_pct(&b->all, 99), lat_pct(&b->all, 100));
		for (i = 0; kinds > 1 && i < OP_COUNT; i++) {
			if (b->per_op[i].n == 0)
				continue;
			printf("  %-18s %7zu  p50 %.3f  p99 %.3f  max %.3f  "
			    "non-200 %ld\n", op_names[i], b->per_op[i].n,
			    lat_pct(&b->per_op[i], 50),
			    lat_pct(&b->per_op[i], 99),
			    lat_pct(&b->per_op[i], 100), b->non200_op[i]);
		}
		if (cpu_us >= 0)
			printf("server CPU   %.0f%% of one core, %.1f us a request "
			    "(so at most %.0f requests/s on one core)\n", cpu_pct,
			    cpu_us, 1e6 / cpu_us);
		if (b->first_error[0] != '\0')
			printf("first error  %s\n", b->first_error);
	}
	/* One line for scripts (tools/bench/run.sh reads it). */
	printf("RESULT mix=%s conns=%d requests=%ld seconds=%.3f rps=%.1f "
	    "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non200=%ld "
	    "errors=%ld", b->mix->name, b->nconns, b->done, elapsed, rps,
	    lat_pct(&b->all, 50), lat_pct(&b->all, 90), lat_pct(&b->all, 99),
	    lat_pct(&b->all, 100), b->non200, b->errors);
	if (cpu_us >= 0)
		printf(" server_cpu_pct=%.1f server_us_per_req=%.1f", cpu_pct,
		    cpu_us);
	printf("\n");
}

/* ---- options ---- */

static void
usage(FILE *f)
{
	size_t	i;

	fprintf(f,
"usage: ecsim-bench [options]\n\n"
"Drives a running 'ecsim serve' with ECS API calls over keep-alive HTTP/1.1\n"
"connections and prints requests per second, latency percentiles and the\n"
"number of non-200 replies (the exit status is 1 unless that is 0).\n\n"
"options:\n"
"  -p, --port PORT        ecsim on 127.0.0.1:PORT\n"
"  -u, --url URL          or http://HOST:PORT/ (default http://127.0.0.1:4566)\n"
"  -m, --mix MIX          what to send (default describe-services), one of:\n");
	for (i = 0; i < sizeof bench_mixes / sizeof bench_mixes[0]; i++)
		fprintf(f, "      %-18s %s\n", bench_mixes[i].name,
		    bench_mixes[i].summary);
	fprintf(f,
"  -c, --connections N    concurrent connections, one request in flight each\n"
"                         (default 8)\n"
"  -d, --duration SECS    measure for SECS seconds (default 10)\n"
"  -n, --requests N       or measure N requests\n"
"  -w, --warmup SECS      send unmeasured requests first (default 1)\n"
"  -s, --services N       services to pre-create (default 100)\n"
"  -i, --instances K      container instances to register (default 10)\n"
"  -b, --batch B          services per DescribeServices, 1 to 10 (default 1)\n"
"      --desired-count N  desiredCount of the pre-created services (default 0)\n"
"      --cluster NAME     cluster to use (default bench)\n"
"      --seed N           seed of the operation sequence (default 1)\n"
"      --server-pid PID   also report the server's CPU time a request, read\n"
"                         from /proc/PID/stat (holds on a shared machine)\n"
"  -q, --quiet            print only the RESULT line\n"
"  -h, --help             show this help\n");
}

static int
parse_long(const char *opt, const char *s, long lo, long hi, long *out,
    struct err *e)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < lo || v > hi)
		return err_set(e, ERR_INVALID, "%s wants a number from %ld to "
		    "%ld, got '%s'", opt, lo, hi, s);
	*out = v;
	return 0;
}

static int
parse_secs(const char *opt, const char *s, double *out, struct err *e)
{
	char	*end;
	double	 v;

	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || !(v >= 0) || v > 86400)
		return err_set(e, ERR_INVALID, "%s wants seconds from 0 to "
		    "86400, got '%s'", opt, s);
	*out = v;
	return 0;
}

/* http://HOST:PORT[/] into *host and *port, both allocated. */
static int
parse_url(const char *url, char **host, char **port, struct err *e)
{
	const char	*p = url, *colon, *end;

	if (strncmp(p, "http://", 7) == 0)
		p += 7;
	else if (strstr(p, "://") != NULL)
		return err_set(e, ERR_INVALID, "--url %s: only http:// is "
		    "supported", url);
	end = p + strcspn(p, "/");
	if (end[0] == '/' && end[1] != '\0')
		return err_set(e, ERR_INVALID, "--url %s: the ECS API is at /, "
		    "give no path", url);
	if ((colon = memchr(p, ':', (size_t)(end - p))) == NULL) {
		*host = xstrndup(p, (size_t)(end - p));
		*port = xstrdup("80");
	} else {
		*host = xstrndup(p, (size_t)(colon - p));
		*port = xstrndup(colon + 1, (size_t)(end - colon - 1));
	}
	if (**host == '\0' || **port == '\0')
		return err_set(e, ERR_INVALID, "--url %s is not "
		    "http://HOST:PORT/", url);
	return 0;
}

static int
bench_options(struct bench *b, int argc, char **argv, char **host,
    char **port, struct err *e)
{
	static const struct option longopts[] = {
		{ "port",		required_argument, NULL, 'p' },
		{ "url",		required_argument, NULL, 'u' },
		{ "mix",		required_argument, NULL, 'm' },
		{ "connections",	required_argument, NULL, 'c' },
		{ "duration",		required_argument, NULL, 'd' },
		{ "requests",		required_argument, NULL, 'n' },
		{ "warmup",		required_argument, NULL, 'w' },
		{ "services",		required_argument, NULL, 's' },
		{ "instances",		required_argument, NULL, 'i' },
		{ "batch",		required_argument, NULL, 'b' },
		{ "desired-count",	required_argument, NULL, 'D' },
		{ "cluster",		required_argument, NULL, 'C' },
		{ "seed",		required_argument, NULL, 'S' },
		{ "server-pid",		required_argument, NULL, 'P' },
		{ "quiet",		no_argument,	   NULL, 'q' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	size_t	i;
	long	v;
	int	ch;

	while ((ch = getopt_long(argc, argv, "p:u:m:c:d:n:w:s:i:b:qh",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (parse_long("--port", optarg, 1, 65535, &v, e) != 0)
				return -1;
			free(*port);
			*port = xstrdup(optarg);
			break;
		case 'u':
			free(*host);
			free(*port);
			*host = *port = NULL;
			if (parse_url(optarg, host, port, e) != 0)
				return -1;
			break;
		case 'm':
			b->mix = NULL;
			for (i = 0; i < sizeof bench_mixes /
			    sizeof bench_mixes[0]; i++)
				if (strcmp(bench_mixes[i].name, optarg) == 0)
					b->mix = &bench_mixes[i];
			if (b->mix == NULL)
				return err_set(e, ERR_INVALID, "--mix %s is not "
				    "one of describe-services, "
				    "describe-clusters, list, mix, health",
				    optarg);
			break;
		case 'c':
			if (parse_long("--connections", optarg, 1,
			    BENCH_MAX_CONNS, &v, e) != 0)
				return -1;
			b->nconns = (int)v;
			break;
		case 'd':
			if (parse_secs("--duration", optarg, &b->duration,
			    e) != 0)
				return -1;
			b->nrequests = 0;
			break;
		case 'n':
			if (parse_long("--requests", optarg, 1, 1000000000L,
			    &b->nrequests, e) != 0)
				return -1;
			b->duration = 0;
			break;
		case 'w':
			if (parse_secs("--warmup", optarg, &b->warmup, e) != 0)
				return -1;
			break;
		case 's':
			if (parse_long("--services", optarg, 1,
			    BENCH_MAX_SERVICES, &v, e) != 0)
				return -1;
			b->nservices = (int)v;
			break;
		case 'i':
			if (parse_long("--instances", optarg, 0,
			    BENCH_MAX_INSTANCES, &v, e) != 0)
				return -1;
			b->ninstances = (int)v;
			break;
		case 'b':
			if (parse_long("--batch", optarg, 1, 10, &v, e) != 0)
				return -1;
			b->batch = (int)v;
			break;
		case 'D':
			if (parse_long("--desired-count", optarg, 0, 100, &v,
			    e) != 0)
				return -1;
			b->desired = (int)v;
			break;
		case 'C':
			if (!str_is_ecs_name(optarg, 255))
				return err_set(e, ERR_INVALID, "--cluster %s: "
				    "1 to 255 letters, digits, - and _", optarg);
			b->cluster = optarg;
			break;
		case 'S':
			if (parse_long("--seed", optarg, 0, LONG_MAX, &v,
			    e) != 0)
				return -1;
			b->seed = (uint64_t)v;
			break;
		case 'P':
			if (parse_long("--server-pid", optarg, 1, INT_MAX,
			    &b->server_pid, e) != 0)
				return -1;
			if (proc_cpu(b->server_pid) < 0)
				return err_set(e, ERR_INVALID, "--server-pid %s: "
				    "no /proc/%s/stat to read", optarg, optarg);
			break;
		case 'q':
			b->quiet = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return err_set(e, ERR_INVALID, "unknown option");
		}
	}
	if (optind != argc)
		return err_set(e, ERR_INVALID, "unexpected argument '%s'",
		    argv[optind]);
	if (b->duration == 0 && b->nrequests == 0)
		return err_set(e, ERR_INVALID, "--duration 0 needs --requests");
	return 0;
}

int
main(int argc, char **argv)
{
	struct bench		 b;
	struct addrinfo		 hints;
	struct err		 e;
	struct sigaction	 sa;
	char			*host = xstrdup("127.0.0.1");
	char			*port = xstrdup("4566");
	double			 elapsed = 0;
	int			 i, rc, ret = 2;

	/* Keep stdout and stderr in order when both go to one file. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&b, 0, sizeof b);
	err_clear(&e);
	b.mix = &bench_mixes[0];
	b.cluster = "bench";
	b.nconns = 8;
	b.duration = 10;
	b.warmup = 1;
	b.nservices = 100;
	b.ninstances = 10;
	b.batch = 1;
	b.seed = 1;
	if (bench_options(&b, argc, argv, &host, &port, &e) != 0)
		goto fail;
	b.host = host;
	b.port = port;
	for (i = 0; b.mix->w[i].weight != 0; i++)
		b.wtotal += b.mix->w[i].weight;
	prng_seed(&b.prng, b.seed);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = bench_sigint;
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &b.ai)) != 0) {
		err_set(&e, ERR_INVALID, "%s:%s: %s", host, port,
		    gai_strerror(rc));
		goto fail;
	}
	if (!b.quiet) {
		printf("ecsim-bench  %s mix on %s:%s, %d connections, ",
		    b.mix->name, host, port, b.nconns);
		if (b.nrequests > 0)
			printf("%ld requests", b.nrequests);
		else
			printf("%.1f s", b.duration);
		printf(" after %.1f s warm-up\n", b.warmup);
		fflush(stdout);
	}
	if (bench_setup(&b, &e) != 0)
		goto fail;
	if (bench_run(&b, &elapsed, &e) != 0)
		goto fail;
	bench_report(&b, elapsed);
	ret = (b.non200 == 0 && b.errors == 0 && b.done > 0) ? 0 : 1;
	goto out;
fail:
	fprintf(stderr, "ecsim-bench: %s\n", e.msg);
out:
	if (b.ai != NULL)
		freeaddrinfo(b.ai);
	for (i = 0; i < OP_COUNT; i++)
		free(b.per_op[i].v);
	free(b.all.v);
	free(b.taskdef_arn);
	free(host);
	free(port);
	return ret;
}
