/* A minimal Emscripten MAIN_MODULE standing in for jank's real WebAssembly
 * build in tests/browser/web_page.rs: it exports jank_hot_reload_load_patch with the
 * seed's contract (dlopen the file, dlsym the symbols export, walk the
 * patch_symbol array; 0 on success, -1 on failure) and the one seed helper
 * the test's patch imports, and records what it loaded in loaded_log(). */
#include <dlfcn.h>
#include <emscripten.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct patch_symbol {
  const char *qualified_name;
  const char *signature;
  void *fn_ptr;
} patch_symbol;

typedef struct boxed_integer {
  int64_t value;
} boxed_integer;

static char log_text[4096];

EMSCRIPTEN_KEEPALIVE void *jank_box_integer(int64_t value) {
  boxed_integer *boxed = malloc(sizeof *boxed);
  boxed->value = value;
  return boxed;
}

/* Zero-arity entries are called and their integer recorded as name=value;
 * the others are recorded as name:signature. */
EMSCRIPTEN_KEEPALIVE int jank_hot_reload_load_patch(const char *path, const char *symbol_name) {
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle) return -1;
  patch_symbol *(*symbols)(int *) = (patch_symbol * (*)(int *)) dlsym(handle, symbol_name);
  if (!symbols) return -1;
  int count = 0;
  patch_symbol *entries = symbols(&count);
  for (int i = 0; i < count; i++) {
    size_t used = strlen(log_text);
    if (strcmp(entries[i].signature, "0") == 0) {
      boxed_integer *value = ((void *(*)(void))entries[i].fn_ptr)();
      snprintf(log_text + used, sizeof log_text - used, "%s=%lld;", entries[i].qualified_name,
               (long long)value->value);
    } else {
      snprintf(log_text + used, sizeof log_text - used, "%s:%s;", entries[i].qualified_name,
               entries[i].signature);
    }
  }
  return 0;
}

EMSCRIPTEN_KEEPALIVE const char *loaded_log(void) { return log_text; }

int main(void) { return 0; }
