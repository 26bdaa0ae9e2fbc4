/* Folders made with their parents (base/file_write.c: hexgpu_dir_create), the one
 * os.makedirs of self-play, match and tournament outputs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file_write.h"

static int is_folder(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

Test(dir_create, parents_made_existing_kept_files_in_the_way_named) {
    char dir[] = "/tmp/hexgpu_dir_create_XXXXXX";
    cr_assert(mkdtemp(dir));
    char nested[256], again[256], file[256], under_file[256];
    snprintf(nested, sizeof nested, "%s/a/b/c", dir);
    hexgpu_error err = {0};
    cr_assert_eq(hexgpu_dir_create(nested, &err), HEXGPU_OK, "%s", err.message);
    cr_assert(is_folder(nested));
    snprintf(again, sizeof again, "%s/a/b/c/", dir);
    cr_assert_eq(hexgpu_dir_create(again, &err), HEXGPU_OK, "an existing folder (and a trailing slash) is fine");
    /* A file where a folder should be: its child cannot be made, and is named. */
    snprintf(file, sizeof file, "%s/f", dir);
    FILE *f = fopen(file, "w");
    cr_assert_not_null(f);
    fclose(f);
    snprintf(under_file, sizeof under_file, "%s/f/g", dir);
    cr_assert_eq(hexgpu_dir_create(under_file, &err), HEXGPU_ERR_IO);
    cr_assert(strstr(err.message, "cannot create the folder") && strstr(err.message, "/f/g"), "%s", err.message);
    /* The file itself asked for as the folder. */
    cr_assert_eq(hexgpu_dir_create(file, &err), HEXGPU_ERR_IO);
    cr_assert(strstr(err.message, "Not a directory"), "%s", err.message);
    cr_assert_eq(hexgpu_dir_create("", &err), HEXGPU_ERR_INVALID_ARGUMENT);
    unlink(file);
    snprintf(again, sizeof again, "rm -rf %s", dir);
    cr_assert_eq(system(again), 0);
}
