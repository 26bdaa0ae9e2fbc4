/* A library that the FAKE_MODULE_MISSING_DEPENDENCY module needs and the loader cannot
 * find (it lies in a folder on no search path): libcudnn on a machine without it. */
int hexgpu_fake_dependency(void);
int hexgpu_fake_dependency(void) { return 0; }
