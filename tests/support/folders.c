/* Test support: counting a folder's entries. */
#include "support/folders.h"

#include <dirent.h>

int hexgpu_test_folder_entries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}
