/* PostgreSQL frontend/backend protocol v3: the frontend messages the sql
 * stub understands, the backend messages it answers with, and the little SQL
 * lexing needed to answer each statement of a simple Query. */
#ifndef SR_NET_PGWIRE_H
#define SR_NET_PGWIRE_H

#include "runner/net/proto.h"

struct strbuf;

#define PG_MAX_STARTUP	   10000      /* the server's own MAX_STARTUP_PACKET_LENGTH */
#define PG_MAX_MSG	   (1u << 20) /* one regular message, length word included */
#define PG_MAX_PARAMS	   64	      /* startup parameters */
#define PG_MAX_BIND_PARAMS 4096

#define PG_PROTOCOL_V3	  196608 /* 3.0 */
#define PG_CANCEL_REQUEST 80877102
#define PG_SSL_REQUEST	  80877103
#define PG_GSSENC_REQUEST 80877104

/* One frontend message. Startup-phase packets have no type byte: type is 0
 * and code the request code or protocol version. body excludes the header. */
struct pg_msg {
	char type;
	uint32_t code;
	const char *body;
	size_t len;
	size_t consumed;
};

/* A startup-phase packet: int32 length (8..PG_MAX_STARTUP, itself
 * included), int32 code, body. */
int pg_parse_startup(struct pg_msg *out, const char *buf, size_t len);
/* A regular message: type byte, int32 length (4..PG_MAX_MSG), body. */
int pg_parse_message(struct pg_msg *out, const char *buf, size_t len);

/* Decoders of message bodies; each returns 0, or -1 when the body is
 * malformed (a string without its NUL, counts beyond the body, ...).
 * Strings point into the body and are NUL-terminated there. */
struct pg_param {
	const char *key, *value;
};
/* StartupMessage v3 parameters: key\0value\0 ... \0. */
int pg_decode_startup(struct pg_param *out, size_t max, size_t *n, const char *body, size_t len);
/* Query 'Q': the SQL text. */
int pg_decode_query(const char **sql, size_t *sql_len, const char *body, size_t len);
/* Parse 'P': statement name, SQL text, declared parameter types. */
struct pg_parse {
	const char *stmt;
	const char *sql;
	size_t sql_len;
	uint16_t ntypes;
};
int pg_decode_parse(struct pg_parse *out, const char *body, size_t len);
/* Bind 'B': portal and statement names and counts; values are checked to
 * lie inside the body but not kept (bound values are data, not SQL). */
struct pg_bind {
	const char *portal, *stmt;
	uint16_t nformats, nparams, nresult_formats;
};
int pg_decode_bind(struct pg_bind *out, const char *body, size_t len);
/* Describe 'D' and Close 'C': 'S' (statement) or 'P' (portal), then a name. */
int pg_decode_target(char *what, const char **name, const char *body, size_t len);
/* Execute 'E': portal name, row limit. */
int pg_decode_execute(const char **portal, uint32_t *max_rows, const char *body, size_t len);
/* PasswordMessage 'p' (also SASL responses): the raw body up to a final NUL. */
int pg_decode_password(const char **pw, size_t *pw_len, const char *body, size_t len);

/* Statements of a simple Query: the next statement at or after *off, skipping
 * quotes, dollar quotes, comments and E'' escapes when looking for ';'. On
 * true [*start, *start + *slen) is the statement without surrounding
 * whitespace or the ';' (it may be empty, e.g. ";;"), and *off moves past it.
 * False once sql is exhausted. */
bool pg_next_statement(const char *sql, size_t len, size_t *off, size_t *start, size_t *slen);

/* The CommandComplete tag a server would send for stmt with zero rows
 * affected: "SELECT 0" for row-returning statements (then *returns_rows is
 * true), "INSERT 0 0", "UPDATE 0", "CREATE TABLE", "BEGIN", ... An empty
 * statement (only whitespace and comments) gives "" and false. */
void pg_command_tag(char *out, size_t outsz, const char *stmt, size_t len, bool *returns_rows);
/* Highest $n placeholder in sql (0..PG_MAX_BIND_PARAMS), outside quotes. */
unsigned pg_count_placeholders(const char *sql, size_t len);

/* Backend messages. */
void pg_put_msg(struct strbuf *out, char type, const void *body, size_t len);
void pg_put_auth_ok(struct strbuf *out);
void pg_put_parameter_status(struct strbuf *out, const char *key, const char *value);
void pg_put_backend_key(struct strbuf *out, uint32_t pid, uint32_t key);
void pg_put_ready(struct strbuf *out, char tx_status);
void pg_put_command_complete(struct strbuf *out, const char *tag);
void pg_put_empty_query(struct strbuf *out);
void pg_put_row_description_empty(struct strbuf *out); /* zero fields */
void pg_put_parameter_description(struct strbuf *out, unsigned nparams, uint32_t type_oid);
void pg_put_no_data(struct strbuf *out);
void pg_put_simple(struct strbuf *out,
		   char type); /* '1' ParseComplete, '2' BindComplete, '3' CloseComplete */
/* ErrorResponse with S/V (severity), C (SQLSTATE) and M fields. */
void pg_put_error(struct strbuf *out, const char *severity, const char *sqlstate,
		  const char *message);
/* NegotiateProtocolVersion: newest minor supported, unrecognised options. */
void pg_put_negotiate(struct strbuf *out, uint32_t minor, const char *const *opts, size_t nopts);

#endif
