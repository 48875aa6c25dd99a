/*
 * parse_test - run the parser alone: `parse_test [options] FILE...`
 * parses each FILE with parse_source and prints the -p1 dump (stdout) or
 * the errors (stderr, then "pytap: N compile error(s)").  Exit status 1 if
 * any file had errors.
 *
 *   -a ARG        a script argument ($1, @1, ...); repeatable
 *   -g            guru mode (%{ %} is refused all the same)
 *   -r            round trip: also check that parse(dump(parse(F)))
 *                 dumps the same text; print "ROUNDTRIP FAIL FILE" if not
 *   -q            quiet: no dump on stdout
 *   -p PP         parse PP as a command-line probe point and dump it
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "diag.h"
#include "parse.h"
#include "strbuf.h"

static char *read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		return NULL;
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_append(&sb, buf, n);
	if (f != stdin)
		fclose(f);
	*len = sb.len;
	if (!sb.buf)
		return calloc(1, 1);
	return sb_steal(&sb);
}

/* Parse TEXT and return its dump (malloc'd), or NULL after errors. */
static char *parse_and_dump(const char *name, const char *text, size_t len,
			    const struct parse_opts *opts, struct diag *d)
{
	struct source src = { .name = name, .text = text, .len = len };
	struct ast_arena *a = ast_arena_new();
	struct script s = { 0 };
	int errors = parse_source(a, &src, opts, &s, d);
	char *r = NULL;
	if (!errors) {
		struct strbuf sb = STRBUF_INIT;
		ast_dump_script(&sb, &s);
		r = sb.buf ? sb_steal(&sb) : calloc(1, 1);
	}
	ast_arena_free(a);
	return r;
}

int main(int argc, char **argv)
{
	char **args = calloc((size_t)argc + 1, sizeof *args);
	struct parse_opts opts = { args, 0, false, NULL };
	bool roundtrip = false, quiet = false;
	int status = 0;
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (strcmp(argv[i], "-a") == 0 && i + 1 < argc)
			args[opts.argc++] = argv[++i];
		else if (strcmp(argv[i], "-g") == 0)
			opts.guru = true;
		else if (strcmp(argv[i], "-r") == 0)
			roundtrip = true;
		else if (strcmp(argv[i], "-q") == 0)
			quiet = true;
		else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc) {
			const char *text = argv[++i];
			struct source src = { .name = "<probe point>",
					      .text = text,
					      .len = strlen(text) };
			struct diag d;
			diag_init(&d, stderr);
			struct ast_arena *a = ast_arena_new();
			struct probe_point *pp = parse_probe_point(a, &src, &d);
			if (pp) {
				struct strbuf sb = STRBUF_INIT;
				ast_dump_probe_point(&sb, pp);
				printf("%s\n", sb_str(&sb));
				sb_free(&sb);
			} else {
				diag_summary(&d);
				status = 1;
			}
			ast_arena_free(a);
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			fprintf(stderr, "usage: parse_test [-g] [-r] [-q] "
				"[-a ARG]... [-p PP] FILE...\n");
			return 2;
		}
	}
	for (; i < argc; i++) {
		size_t len;
		char *text = read_file(argv[i], &len);
		if (!text) {
			fprintf(stderr, "pytap: cannot read '%s'\n", argv[i]);
			status = 1;
			continue;
		}
		struct diag d;
		diag_init(&d, stderr);
		char *dump = parse_and_dump(argv[i], text, len, &opts, &d);
		if (!dump) {
			diag_summary(&d);
			status = 1;
		} else {
			if (!quiet)
				fputs(dump, stdout);
			if (roundtrip) {
				struct diag d2;
				diag_init(&d2, stderr);
				char *again = parse_and_dump("<dump>", dump,
							     strlen(dump),
							     &opts, &d2);
				if (!again || strcmp(again, dump) != 0) {
					printf("ROUNDTRIP FAIL %s\n", argv[i]);
					status = 1;
				}
				free(again);
			}
			free(dump);
		}
		free(text);
	}
	free(args);
	return status;
}
