/*
 * conf_priv.h - shared between conf.c, conf_service.c, conf_socket.c,
 * conf_exec.c and conf_values.c; not part of the conf API.
 *
 * Loading walks the entries of a parsed unit file and looks each (section,
 * key) up in a table of struct conf_key. A key's handler gets the value and
 * the offset of its field in struct unit_conf; it returns 0, -ENOMEM, or
 * -EINVAL after writing the reason into x->why. The caller turns -EINVAL
 * into one "file:line: Key='value': reason" error and keeps going, so that
 * a user sees every bad line at once; the load fails at the end.
 *
 * Empty assignments restore the default, which handlers copy from x->def (a
 * unit_conf holding only the default scalars, never owning memory).
 */
#ifndef SUPD_CONF_PRIV_H
#define SUPD_CONF_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "unitfile.h"

#define CONF_WHY_MAX 256

struct conf_ctx {
	struct unit_conf *c;
	struct unit_conf def;
	const char *path;
	const struct uf_entry *e; /* the entry being applied */
	conf_diag_fn diag;
	void *diag_ctx;
	char *err;
	size_t errlen;
	unsigned n_errors;
	unsigned kind_line;       /* first [Service]/[Socket] header, for whole-unit errors */
	bool burst_set;           /* TriggerLimitBurst= given (else it follows Accept=) */
	bool per_source_set;      /* MaxConnectionsPerSource= given */
	unsigned restart_line;    /* last Restart=, checked against Type= at the end */
	bool timeout_start_set;   /* TimeoutStartSec=/TimeoutSec= given (Type=oneshot's default is infinity) */
	bool type_set;            /* Type= given (without it and ExecStart=, the type is oneshot) */
	bool template_itself;     /* NAME@.service: an empty instance; never started */
	char why[CONF_WHY_MAX];
};

struct conf_key;
typedef int (*conf_key_fn)(struct conf_ctx *x, const struct conf_key *k, const char *v);

struct conf_key {
	const char *name;
	conf_key_fn fn;
	size_t off;   /* field in struct unit_conf */
	size_t off2;  /* a list's count field, when the field is a list */
	intptr_t arg; /* handler-specific */
};

struct conf_enum {
	const char *name;
	int value;
};

#define CONF_FIELD(x, k, type) ((type *)((char *)(x)->c + (k)->off))
#define CONF_FIELD2(x, k, type) ((type *)((char *)(x)->c + (k)->off2))
#define CONF_DEFAULT(x, k, type) ((const type *)((const char *)&(x)->def + (k)->off))

/* conf.c: reporting and generic handlers */
int conf_why(struct conf_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void conf_report(struct conf_ctx *x, int is_error, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int conf_strv_add(char ***v, size_t *n, const char *s);
void conf_strv_free(char ***v, size_t *n);
int conf_h_string(struct conf_ctx *x, const struct conf_key *k, const char *v);
/* A list of words, split as systemd does: each is added once bad() finds
 * nothing wrong with it (else the value is refused, bad()'s reason after
 * the word); an empty value resets the list. */
typedef const char *(*conf_word_check)(const struct conf_key *k, const char *w);
int conf_word_list(struct conf_ctx *x, const struct conf_key *k, char ***list, size_t *n, const char *v,
		   conf_word_check bad);
int conf_h_units(struct conf_ctx *x, const struct conf_key *k, const char *v);
int conf_h_timespan(struct conf_ctx *x, const struct conf_key *k, const char *v);
int conf_h_bool(struct conf_ctx *x, const struct conf_key *k, const char *v);
int conf_h_unsigned(struct conf_ctx *x, const struct conf_key *k, const char *v);
int conf_h_enum(struct conf_ctx *x, const struct conf_key *k, const char *v);
int conf_h_user(struct conf_ctx *x, const struct conf_key *k, const char *v);
#define CONF_T_ZERO_INFINITY 0x1 /* conf_h_timespan arg: "0" means no limit */

/* conf_service.c / conf_socket.c */
extern const struct conf_key conf_service_keys[];
extern const struct conf_key conf_socket_keys[];
extern const char *const conf_service_unsupported[];
extern const char *const conf_socket_unsupported[];
void conf_service_defaults(struct svc_conf *s);
void conf_socket_defaults(struct sock_conf *s);
int conf_service_finish(struct conf_ctx *x);
int conf_socket_finish(struct conf_ctx *x);
void conf_service_free(struct svc_conf *s);
void conf_socket_free(struct sock_conf *s);

/* conf_exec.c: systemd's extract_first_word(EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE).
 * Returns 1 with a malloc'd word, 0 at the end of input, -EINVAL (reason in
 * why) or -ENOMEM. *p advances past the word and following whitespace. */
int conf_extract_word(const char **p, char **word, char *why, size_t whylen);

/* conf_stdio.c: StandardInput=/Output=/Error=, StandardInputText=/Data=,
 * and systemd's fix-up once the section is read. */
int conf_h_std_input(struct conf_ctx *x, const struct conf_key *k, const char *v);
int conf_h_std_output(struct conf_ctx *x, const struct conf_key *k, const char *v);
int conf_h_stdin_text(struct conf_ctx *x, const struct conf_key *k, const char *v);
int conf_h_stdin_data(struct conf_ctx *x, const struct conf_key *k, const char *v);
int conf_h_tty_path(struct conf_ctx *x, const struct conf_key *k, const char *v);
void conf_stdio_finish(struct svc_conf *s);

/* conf_values.c */
int conf_parse_mode(const char *s, mode_t *out);
bool conf_fdname_valid(const char *s);
bool conf_env_name_valid(const char *s, size_t n);
int conf_enum_lookup(const struct conf_enum *t, const char *s, int *out);

#endif
