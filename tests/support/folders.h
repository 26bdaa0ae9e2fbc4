/* Test support: what a test's output folder holds. */
#pragma once

/* The entries of folder dir other than those whose name starts with '.'; -1 when dir
 * cannot be read. */
int hexgpu_test_folder_entries(const char *dir);
