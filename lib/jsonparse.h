/* A small strict JSON parser (RFC 8259) with a DOM, for the JSON the runner
 * reads back: its own reports (report merge) and engine output (manifests).
 * Objects keep their key order; numbers keep the text they were written as,
 * so json_serialize() re-emits a document that parses back to an equal value. */
#ifndef SR_JSONPARSE_H
#define SR_JSONPARSE_H

#include "lib/util.h"

/* Deepest nesting of arrays and objects json_parse() accepts. */
#define JSON_MAX_DEPTH 128

enum json_type {
	JSON_NULL = 0,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_value;

struct json_member {
	char *key; /* decoded UTF-8, NUL-terminated, may hold NULs */
	size_t key_len;
	unsigned line, col; /* position of the key's opening quote */
	struct json_value *value;
};

struct json_value {
	enum json_type type;
	unsigned line, col; /* 1-based position of the value's first byte */
	union {
		bool b;
		struct {
			char *text; /* the lexeme exactly as written, e.g. "-1.5e3" */
			double v;   /* its value (+-HUGE_VAL when out of range) */
		} num;
		struct {
			char *s; /* decoded UTF-8, NUL-terminated, may hold NULs */
			size_t len;
		} str;
		struct {
			struct json_value **v;
			size_t n, alloc;
		} arr;
		struct {
			struct json_member *m; /* in document order, keys unique */
			size_t n, alloc;
		} obj;
	} u;
};

/* Parse exactly one JSON text of len bytes (NUL bytes are errors, not ends).
 * Strict: no comments, trailing commas, leading zeros, lone surrogates,
 * invalid UTF-8, duplicate keys, or nesting deeper than JSON_MAX_DEPTH.
 * On success *out is owned by the caller (json_free) and 0 is returned; on
 * failure *out is NULL and SR_EINVAL is returned with err set to
 * "<name>:<line>:<col>: <what>" (1-based; columns count bytes). */
int json_parse(struct json_value **out, const char *name, const char *buf, size_t len,
	       struct sr_err *err);

/* Read path and json_parse() it, naming errors after path. */
int json_parse_file(struct json_value **out, const char *path, struct sr_err *err);

/* NULL-safe. */
void json_free(struct json_value *v);

/* The value of key in obj, or NULL when obj is NULL, not an object, or has
 * no such key. Borrowed from obj. */
const struct json_value *json_get(const struct json_value *obj, const char *key);

/* The string of v when it is a JSON string, else NULL. */
const char *json_str(const struct json_value *v);

/* Append v as compact JSON (no whitespace) to out. Strings are re-escaped,
 * numbers written as their original text, object keys kept in order, so the
 * output parses back to a value json_equal() to v. */
void json_serialize(struct strbuf *out, const struct json_value *v);

/* Structural equality: same types, numbers with the same text, strings and
 * keys byte-equal, members in the same order. NULL equals only NULL. */
bool json_equal(const struct json_value *a, const struct json_value *b);

/* Length (1-4) of the well-formed UTF-8 sequence starting at s, or 0 when
 * s >= end or the bytes are not one: overlong forms, surrogates, code points
 * above U+10FFFF and truncated sequences are rejected. */
size_t json_utf8_len(const unsigned char *s, const unsigned char *end);

/* "null", "boolean", "number", "string", "array" or "object". */
const char *json_type_name(enum json_type t);

#endif
