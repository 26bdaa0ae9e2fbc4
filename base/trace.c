/* NVTX ranges in one "hexgpu" domain (see trace.h). Compiled out with HEXGPU_NVTX=OFF. */
#include "base/trace.h"

#if HEXGPU_NVTX_ENABLED
#include <nvtx3/nvToolsExt.h>
#include <pthread.h>

static nvtxDomainHandle_t trace_domain;
static pthread_once_t trace_domain_once = PTHREAD_ONCE_INIT;

static void trace_domain_create(void) { trace_domain = nvtxDomainCreateA("hexgpu"); }

void hexgpu_trace_push(const char *name) {
    pthread_once(&trace_domain_once, trace_domain_create);
    nvtxEventAttributes_t attr = {0};
    attr.version = NVTX_VERSION;
    attr.size = NVTX_EVENT_ATTRIB_STRUCT_SIZE;
    attr.messageType = NVTX_MESSAGE_TYPE_ASCII;
    attr.message.ascii = name;
    nvtxDomainRangePushEx(trace_domain, &attr);
}

void hexgpu_trace_pop(void) {
    pthread_once(&trace_domain_once, trace_domain_create);
    nvtxDomainRangePop(trace_domain);
}
#else
/* ISO C forbids an empty translation unit. */
typedef int hexgpu_trace_compiled_out;
#endif
