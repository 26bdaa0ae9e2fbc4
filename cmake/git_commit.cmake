# Writes OUTPUT (a header defining HEXGPU_GIT_COMMIT) from `git describe` of SOURCE_DIR,
# or "unknown" outside a git checkout. Run at every build (the hexgpu_git_commit target),
# it rewrites the header only when the text changes, so an unchanged commit recompiles
# nothing and a new one (or a dirty tree) recompiles base/status.c alone.
set(commit "unknown")
if(GIT_EXECUTABLE AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" describe --always --dirty --abbrev=12
    WORKING_DIRECTORY "${SOURCE_DIR}" OUTPUT_VARIABLE described
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE result)
  if(result EQUAL 0 AND NOT described STREQUAL "")
    set(commit "${described}")
  endif()
endif()
set(text "/* Made by cmake/git_commit.cmake at build time; do not edit. */\n#define HEXGPU_GIT_COMMIT \"${commit}\"\n")
set(old "")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUTPUT}" "${text}")
endif()
