/* Half-precision conversions the readers rely on. */
#include <criterion/criterion.h>
#include <math.h>

#include "model/tensor_map.h"

Test(tensor_map, f16_round_trip_and_special_values) {
    cr_assert_eq(hexgpu_f16_to_f32(0x3c00), 1.0f);
    cr_assert_eq(hexgpu_f16_to_f32(0xc000), -2.0f);
    cr_assert_eq(hexgpu_f16_to_f32(0x7bff), 65504.0f);
    cr_assert_eq(hexgpu_f16_to_f32(0x0001), ldexpf(1.0f, -24));
    cr_assert(isinf(hexgpu_f16_to_f32(0x7c00)));
    for (uint32_t h = 0; h < 0x7c00; h++) /* every finite positive half survives f32 and back */
        cr_assert_eq(hexgpu_f32_to_f16(hexgpu_f16_to_f32((uint16_t)h)), h, "half 0x%04x", h);
    cr_assert_eq(hexgpu_f32_to_f16(1e6f), 0x7c00);
    cr_assert_eq(hexgpu_bf16_to_f32(0x3f80), 1.0f);
}

Test(tensor_map, add_find_and_duplicate) {
    hexgpu_tensor_map map = {0};
    int64_t shape[2] = {2, 3};
    float *data = calloc(6, sizeof(float));
    cr_assert_eq(hexgpu_tensor_map_add(&map, "a.weight", 2, shape, HEXGPU_DTYPE_F16, data, NULL), HEXGPU_OK);
    const hexgpu_tensor *t = hexgpu_tensor_map_find(&map, "a.weight");
    cr_assert_not_null(t);
    cr_assert_eq(t->numel, 6);
    cr_assert_eq(t->source_dtype, HEXGPU_DTYPE_F16);
    hexgpu_error err;
    cr_assert_eq(hexgpu_tensor_map_add(&map, "a.weight", 2, shape, HEXGPU_DTYPE_F32, calloc(6, 4), &err),
                 HEXGPU_ERR_MODEL_FORMAT);
    cr_assert_null(hexgpu_tensor_map_find(&map, "b"));
    hexgpu_tensor_map_free(&map);
    cr_assert_eq(map.count, 0);
}
