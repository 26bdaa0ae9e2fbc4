/* Every route the server answers (docs/serve.md lists them with their fields). */
#include "server_impl.h"

const hexgpu_route hexgpu_serve_routes[] = {
    /* pages */
    {"GET", "/", 0, hexgpu_serve_index},
    {"GET", "/static/", 1, hexgpu_serve_static},
    {"GET", "/hexgpu/", 0, hexgpu_serve_own_asset},
    {"GET", "/hexgpu/", 1, hexgpu_serve_own_asset},
    /* the reference system's API */
    {"GET", "/api/constants", 0, hexgpu_api_constants},
    {"GET", "/api/models", 0, hexgpu_api_models},
    {"POST", "/api/state", 0, hexgpu_api_state},
    {"POST", "/api/apply_move", 0, hexgpu_api_apply_move},
    {"POST", "/api/apply_trmph_sequence", 0, hexgpu_api_apply_sequence},
    {"POST", "/api/mcts_move", 0, hexgpu_api_mcts_move},
    {"POST", "/api/save_game", 0, hexgpu_api_save_game},
    {"GET", "/api/model-browser/recent", 0, hexgpu_api_browser_recent},
    {"GET", "/api/model-browser/directories", 0, hexgpu_api_browser_directories},
    {"GET", "/api/model-browser/directory/", 1, hexgpu_api_browser_directory},
    {"GET", "/api/model-browser/search", 0, hexgpu_api_browser_search},
    {"POST", "/api/model-browser/select", 0, hexgpu_api_browser_select},
    {"POST", "/api/model-browser/validate", 0, hexgpu_api_browser_validate},
    {"POST", "/api/model-browser/refresh", 0, hexgpu_api_browser_refresh},
    {"POST", "/api/cache/clear", 0, hexgpu_api_cache_clear},
    {"GET", "/api/cache/status", 0, hexgpu_api_cache_status},
    /* hexgpu's own */
    {"GET", "/api/hexgpu/info", 0, hexgpu_api_info},
    {"GET", "/api/hexgpu/models", 0, hexgpu_api_model_list},
    {"GET", "/api/hexgpu/status", 0, hexgpu_api_status},
    {"POST", "/api/hexgpu/evaluate", 0, hexgpu_api_evaluate},
    {"POST", "/api/hexgpu/analyse", 0, hexgpu_api_analyse},
    {"POST", "/api/hexgpu/search", 0, hexgpu_api_search},
    {"GET", "/api/hexgpu/records", 0, hexgpu_api_records},
    {"GET", "/api/hexgpu/records/games", 0, hexgpu_api_record_games},
    {"GET", "/api/hexgpu/progress", 0, hexgpu_api_progress},
};

const size_t hexgpu_serve_route_count = sizeof hexgpu_serve_routes / sizeof hexgpu_serve_routes[0];
