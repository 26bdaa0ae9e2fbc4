/* Test support: what a test's output folder holds, and its removal. */
#pragma once

/* The entries of folder dir other than those whose name starts with '.'; -1 when dir
 * cannot be read. */
int hexgpu_test_folder_entries(const char *dir);

/* Removes dir and everything in it; fails the test when it cannot. */
void hexgpu_test_folder_remove(const char *dir);
