/* Names clients send resolve inside one folder: no "..", no absolute path, no hidden
 * file, no symbolic link (inside the folder or pointing out), and listings skip the same. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serve/path_confine.h"

Test(serve_names, safe_names_are_plain_relative_paths) {
    cr_assert(hexgpu_name_is_safe("model.safetensors"));
    cr_assert(hexgpu_name_is_safe("run_1/epoch4_mini126.pt.gz"));
    cr_assert(hexgpu_name_is_safe("a/b/c/d/e/f/g/h"));
    const char *bad[] = {"", "/etc/passwd", "../x", "a/../b", "a//b", "a/", ".hidden", "a/.git", "a b",
                         "a\\b", "<img>", "x\"y", "a/b/c/d/e/f/g/h/i", "caf\xc3\xa9", "%2e%2e"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_not(hexgpu_name_is_safe(bad[i]), "'%s' accepted", bad[i]);
    char longest[HEXGPU_NAME_MAX + 2];
    memset(longest, 'a', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    cr_assert_not(hexgpu_name_is_safe(longest));
    longest[HEXGPU_NAME_MAX] = '\0';
    cr_assert(hexgpu_name_is_safe(longest));
}

static char root[64], outside[64];

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    cr_assert(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

/* root/: a.pt, sub/b.safetensors, sub/notes.txt, .hidden.pt, link.pt -> outside/secret.pt,
 * dirlink -> outside/; outside/secret.pt */
static int make_tree(void) {
    strcpy(root, "/tmp/hexgpu_confine_XXXXXX");
    strcpy(outside, "/tmp/hexgpu_outside_XXXXXX");
    cr_assert(mkdtemp(root) && mkdtemp(outside));
    char p[256], q[256];
    snprintf(p, sizeof p, "%s/a.pt", root), write_file(p, "A");
    snprintf(p, sizeof p, "%s/sub", root), mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/sub/b.safetensors", root), write_file(p, "BB");
    snprintf(p, sizeof p, "%s/sub/notes.txt", root), write_file(p, "n");
    snprintf(p, sizeof p, "%s/.hidden.pt", root), write_file(p, "h");
    snprintf(q, sizeof q, "%s/secret.pt", outside), write_file(q, "S");
    snprintf(p, sizeof p, "%s/link.pt", root);
    cr_assert_eq(symlink(q, p), 0);
    snprintf(p, sizeof p, "%s/dirlink", root);
    cr_assert_eq(symlink(outside, p), 0);
    int fd = open(root, O_RDONLY | O_DIRECTORY);
    cr_assert(fd >= 0);
    return fd;
}

static void remove_tree(int fd) {
    close(fd);
    char command[300];
    snprintf(command, sizeof command, "rm -rf %s %s", root, outside);
    cr_assert_eq(system(command), 0);
}

Test(serve_confined_open, reaches_regular_files_under_the_root_only) {
    int fd = make_tree();
    hexgpu_error err = {0};
    int f = hexgpu_confined_open(fd, "sub/b.safetensors", O_RDONLY, &err);
    cr_assert(f >= 0, "%s", err.message);
    char buf[4] = {0};
    cr_assert_eq(read(f, buf, 3), 2);
    cr_assert_str_eq(buf, "BB");
    close(f);
    const char *refused[] = {"link.pt", "dirlink/secret.pt", "../x.pt", "/etc/passwd", "sub", "missing.pt",
                             ".hidden.pt"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        err = (hexgpu_error){0};
        cr_assert_lt(hexgpu_confined_open(fd, refused[i], O_RDONLY, &err), 0, "'%s' opened", refused[i]);
        cr_assert(err.message[0], "no message for '%s'", refused[i]);
        cr_assert_null(strstr(err.message, root), "message names the server's folder: %s", err.message);
    }
    remove_tree(fd);
}

Test(serve_confined_open, creates_files_only_directly_under_the_root) {
    int fd = make_tree();
    hexgpu_error err = {0};
    int f = hexgpu_confined_open(fd, "new.trmph", O_WRONLY | O_APPEND | O_CREAT, &err);
    cr_assert(f >= 0, "%s", err.message);
    close(f);
    cr_assert_lt(hexgpu_confined_open(fd, "sub/new.trmph", O_WRONLY | O_APPEND | O_CREAT, &err), 0);
    /* a link in the root is not written through */
    cr_assert_lt(hexgpu_confined_open(fd, "link.pt", O_WRONLY | O_APPEND | O_CREAT, &err), 0);
    char q[256];
    snprintf(q, sizeof q, "%s/secret.pt", outside);
    struct stat st;
    cr_assert_eq(stat(q, &st), 0);
    cr_assert_eq(st.st_size, 1);
    remove_tree(fd);
}

Test(serve_confined_list, lists_matching_regular_files_sorted_without_links) {
    int fd = make_tree();
    const char *const suffixes[] = {".pt", ".safetensors", NULL};
    hexgpu_confined_entry *list = NULL;
    int n = hexgpu_confined_list(fd, suffixes, 100, &list, NULL);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(list[0].name, "a.pt");
    cr_assert_eq(list[0].bytes, 1);
    cr_assert_str_eq(list[1].name, "sub/b.safetensors");
    cr_assert_eq(list[1].bytes, 2);
    free(list);
    n = hexgpu_confined_list(fd, suffixes, 1, &list, NULL);
    cr_assert_eq(n, 1, "the bound on entries holds");
    free(list);
    remove_tree(fd);
}
