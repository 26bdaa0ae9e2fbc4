/* The control for model_includes_runtime.c: the same model-layer target setup, including
 * a header of a layer below (base/), builds. */
#include "base/status.h"

int hexgpu_layer_allowed(void);
int hexgpu_layer_allowed(void) { return (int)hexgpu_status_str(HEXGPU_OK)[0]; }
