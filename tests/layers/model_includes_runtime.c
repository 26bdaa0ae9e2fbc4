/* Compiled as a file of the model layer (tests/CMakeLists.txt, target
 * layer_violation, never built by default): model/ lies below runtime/, so this include
 * must not be found. ctest builds the target and expects the build to fail. */
#include "runtime/backend.h"

int hexgpu_layer_violation(void);
int hexgpu_layer_violation(void) { return HEXGPU_BACKEND_ABI_VERSION; }
