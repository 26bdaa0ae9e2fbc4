/* Test support: counting a folder's entries, removing a folder. */
#include "support/folders.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hexgpu_test_folder_entries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

void hexgpu_test_folder_remove(const char *dir) {
    char cmd[4200];
    cr_assert(!strchr(dir, '\''), "a folder name with a quote: %s", dir);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0, "cannot remove %s", dir);
}
