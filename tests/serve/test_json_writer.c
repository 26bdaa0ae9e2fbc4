/* The reply writer: commas, escaping that keeps replies inert inside HTML, invalid UTF-8
 * replaced, non-finite numbers as null; and the UTF-8 check every request body passes. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "serve/json_writer.h"

static char *finish(hexgpu_json_writer *w) {
    size_t len;
    char *text = hexgpu_json_writer_take(w, &len);
    cr_assert(text);
    cr_assert_eq(len, strlen(text));
    return text;
}

Test(serve_json_writer, nested_members_get_their_commas) {
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    hexgpu_json_object_begin(&w);
    hexgpu_json_kint(&w, "a", 1);
    hexgpu_json_key(&w, "b");
    hexgpu_json_array_begin(&w);
    hexgpu_json_int(&w, 2);
    hexgpu_json_bool(&w, 1);
    hexgpu_json_null(&w);
    hexgpu_json_object_begin(&w);
    hexgpu_json_object_end(&w);
    hexgpu_json_array_end(&w);
    hexgpu_json_kstring(&w, "c", NULL);
    hexgpu_json_knumber(&w, "d", 0.5);
    hexgpu_json_object_end(&w);
    char *text = finish(&w);
    cr_assert_str_eq(text, "{\"a\":1,\"b\":[2,true,null,{}],\"c\":null,\"d\":0.5}");
    free(text);
}

Test(serve_json_writer, strings_are_escaped_for_json_and_html) {
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    hexgpu_json_string(&w, "a\"b\\c\n<script>&\x01\x7f é");
    char *text = finish(&w);
    cr_assert_str_eq(text, "\"a\\\"b\\\\c\\n\\u003cscript\\u003e\\u0026\\u0001\\u007f é\"");
    free(text);
}

Test(serve_json_writer, invalid_utf8_becomes_replacement_characters) {
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    /* a lone continuation byte, an overlong '/', a surrogate, a cut 3-byte sequence */
    hexgpu_json_string_n(&w, "x\x80y\xc0\xafz\xed\xa0\x80w\xe2\x82", 12);
    char *text = finish(&w);
    cr_assert_str_eq(text, "\"x\\ufffdy\\ufffd\\ufffdz\\ufffd\\ufffd\\ufffdw\\ufffd\\ufffd\"");
    free(text);
}

Test(serve_json_writer, non_finite_numbers_are_null) {
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    hexgpu_json_array_begin(&w);
    hexgpu_json_number(&w, NAN);
    hexgpu_json_number(&w, INFINITY);
    hexgpu_json_number(&w, -0.25);
    hexgpu_json_array_end(&w);
    char *text = finish(&w);
    cr_assert_str_eq(text, "[null,null,-0.25]");
    free(text);
}

Test(serve_json_writer, parsed_values_are_written_back) {
    const char *in = "{\"p\":{\"blue\":{\"n\":12345678901,\"t\":0.2}},\"s\":\"<x>\",\"l\":[true,null]}";
    hexgpu_json v;
    cr_assert_eq(hexgpu_json_parse(in, strlen(in), &v, NULL), HEXGPU_OK);
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    hexgpu_json_value(&w, &v);
    hexgpu_json_free(&v);
    char *text = finish(&w);
    cr_assert_str_eq(text, "{\"p\":{\"blue\":{\"n\":12345678901,\"t\":0.2}},\"s\":\"\\u003cx\\u003e\",\"l\":[true,null]}");
    free(text);
}

Test(serve_json_writer, nesting_beyond_the_limit_fails_the_writer) {
    hexgpu_json_writer w;
    hexgpu_json_writer_init(&w);
    for (int i = 0; i <= HEXGPU_JSON_WRITER_DEPTH; i++) hexgpu_json_array_begin(&w);
    size_t len = 99;
    cr_assert_null(hexgpu_json_writer_take(&w, &len));
    cr_assert_eq(len, 0);
}

Test(serve_utf8, valid_prefix_stops_at_the_first_bad_byte) {
    cr_assert_eq(hexgpu_utf8_valid_prefix("abc", 3), 3);
    cr_assert_eq(hexgpu_utf8_valid_prefix("h\xc3\xa9llo", 6), 6);         /* é */
    cr_assert_eq(hexgpu_utf8_valid_prefix("\xf0\x9f\x98\x80!", 5), 5);    /* U+1F600 */
    cr_assert_eq(hexgpu_utf8_valid_prefix("ab\xff", 3), 2);
    cr_assert_eq(hexgpu_utf8_valid_prefix("a\xc3", 2), 1);                /* cut short */
    cr_assert_eq(hexgpu_utf8_valid_prefix("a\xe0\x80\xaf", 4), 1);        /* overlong */
    cr_assert_eq(hexgpu_utf8_valid_prefix("a\xed\xbf\xbf", 4), 1);        /* surrogate */
    cr_assert_eq(hexgpu_utf8_valid_prefix("a\xf4\x90\x80\x80", 5), 1);    /* above U+10FFFF */
}
