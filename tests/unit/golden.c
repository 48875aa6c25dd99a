/*
 * golden.c - see golden.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "golden.h"
#include "strbuf.h"

const char *golden_dir(void)
{
	static char path[4096];
	static const char *const rel[] = {
		"../shared/conformance", "../../shared/conformance",
		"../../../shared/conformance",
	};
	const char *env = getenv("PYTAP_CONFORMANCE");
	FILE *fp;
	size_t i;

	if (env != NULL && *env)
		return env;
	env = getenv("top_srcdir");
	if (env != NULL && *env) {
		snprintf(path, sizeof path, "%s/../shared/conformance/README.md",
			 env);
		fp = fopen(path, "r");
		if (fp != NULL) {
			fclose(fp);
			snprintf(path, sizeof path, "%s/../shared/conformance",
				 env);
			return path;
		}
	}
	for (i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		snprintf(path, sizeof path, "%s/README.md", rel[i]);
		fp = fopen(path, "r");
		if (fp != NULL) {
			fclose(fp);
			return rel[i];
		}
	}
	return NULL;
}

char *golden_slurp(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	FILE *fp;
	char *buf = NULL;
	long n;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fp = fopen(path, "rb");
	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf != NULL && fread(buf, 1, (size_t)n, fp) == (size_t)n) {
			buf[n] = '\0';
			*len = (size_t)n;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(fp);
	return buf;
}

const char *golden_dir_or_skip(void)
{
	const char *dir = golden_dir();

	if (dir == NULL)
		check_skip("golden files: ../shared/conformance not found "
			   "(set PYTAP_CONFORMANCE)");
	return dir;
}

void golden_check(const char *dir, const char *name,
		  const struct strbuf *got)
{
	size_t len = 0;
	char *exp = golden_slurp(dir, name, &len);

	if (exp == NULL) {
		check_skip("%s/%s: not found", dir, name);
		return;
	}
	check_str(name, got->buf ? got->buf : "", got->len, exp, len);
	free(exp);
}
