/*
 * conformance_runtime.c: a small jank runtime in C that plays jank's
 * WebAssembly MAIN_MODULE under Emscripten's real dynamic loader.
 *
 * It owns: a value model (nil, booleans, integers, doubles, characters,
 * strings, keywords, symbols, lists, vectors, maps, sets, fns, vars, errors),
 * every helper of jank_patch_abi.h implemented over it, the few clojure.core
 * vars the conformance programs and the seed lowering call, and
 * jank_hot_reload_load_patch, which does what jank's hot_reload.cpp does:
 * dlopen a patch by its unique path, dlsym its jank_patch_symbols_<id>, call
 * it and bind each var by its registry signature.
 *
 * Built twice (see README.md):
 *   - extended: exports every helper of the header;
 *   - seed (-DJANK_CONFORMANCE_SEED): exports exactly the helpers marked
 *     JANK_HELPER(seed), accepts only the seed registry (numeric signatures
 *     0-4) and aborts when a patch breaks a seed limit (jank_call_var with more
 *     than 5 arguments, a fn wrapper of arity above 3), so a compiler that
 *     emits something jank's runtime would reject fails loudly here.
 *
 * Memory is never freed: patches and the values they keep live as long as
 * the page, as in jank (dlclose does nothing either).
 */
#define JANK_PATCH_ABI_RUNTIME
#include "jank_patch_abi.h"

#include <dlfcn.h>
#include <emscripten.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Seed helpers are exported by both builds; extension helpers only by the extended one. */
#define SEED_EXPORT EMSCRIPTEN_KEEPALIVE
#ifdef JANK_CONFORMANCE_SEED
#define EXT_EXPORT
#define REGISTRY_MAX_ARITY JANK_SEED_REGISTRY_MAX_ARITY
#else
#define EXT_EXPORT EMSCRIPTEN_KEEPALIVE
#define REGISTRY_MAX_ARITY JANK_MAX_PARAMS
#endif

/* The most wasm parameters this runtime passes to a patch function (self + params + rest). */
#define MAX_WASM_PARAMS (JANK_MAX_PARAMS + 2)
_Static_assert(MAX_WASM_PARAMS == 12, "call_pointer has one case per wasm parameter count");

typedef enum
{
  NIL,
  BOOLEAN,
  INTEGER,
  DOUBLE,
  CHARACTER,
  STRING,
  KEYWORD,
  SYMBOL,
  LIST,
  VECTOR,
  MAP,
  SET,
  PATCH_FN,
  WRAPPER,
  NATIVE,
  PARTIAL,
  VAR,
  ERROR
} kind;

typedef struct object object;
typedef object *(*native_fn)(int argc, object **args);

struct object
{
  kind kind;
  union
  {
    int boolean;
    int64_t integer;
    double real;
    int32_t character;
    struct
    {
      const char *ns; /* "" when unqualified */
      const char *name;
    } named;
    struct
    {
      char *bytes;
      int32_t length;
    } string;
    /* Lists, vectors and sets hold count items; maps hold count key/value pairs (2 * count items). */
    struct
    {
      int32_t count;
      object **items;
    } coll;
    struct
    {
      const jank_fn_desc *desc;
      int32_t env_count;
      object **env;
    } fn;
    struct
    {
      void *fn_ptr;
      int32_t arity;
      const char *name;
    } wrapper;
    struct
    {
      const char *name;
      native_fn fn;
    } native;
    struct
    {
      object *callable;
      int32_t count;
      object **args;
    } partial;
    struct
    {
      const char *ns;
      const char *name;
      object *root; /* NULL while unbound */
    } var;
    struct
    {
      object *message;
      object *data; /* NULL for errors the runtime raises itself (ex-data is nil) */
    } error;
  } as;
};

static object nil_object = {NIL, {0}};
static object true_object = {BOOLEAN, {.boolean = 1}};
static object false_object = {BOOLEAN, {.boolean = 0}};

/* The pending exception (jank_patch_abi.h, "Exceptions"): set by a throw, taken by a catch. */
static object *pending_exception;

static void *allocate(size_t size)
{
  void *memory = calloc(1, size);
  if (!memory)
  {
    fputs("conformance runtime: out of memory\n", stderr);
    abort();
  }
  return memory;
}

static object *new_object(kind kind)
{
  object *result = allocate(sizeof(object));
  result->kind = kind;
  return result;
}

static char *copy_string(const char *text)
{
  size_t length = strlen(text);
  char *copy = allocate(length + 1);
  memcpy(copy, text, length);
  return copy;
}

static object **copy_items(int32_t count, object **items)
{
  object **copy = allocate(sizeof(object *) * (size_t)(count > 0 ? count : 1));
  if (count > 0)
  {
    memcpy(copy, items, sizeof(object *) * (size_t)count);
  }
  return copy;
}

/* A seed limit broken by a patch: jank's runtime would misbehave, so stop here, loudly. */
#ifdef JANK_CONFORMANCE_SEED
static void seed_limit_broken(const char *what, int value, int limit)
{
  fprintf(stderr, "conformance runtime: seed limit broken: %s %d (the seed allows at most %d)\n",
          what, value, limit);
  abort();
}
#endif

/* ---- printing -------------------------------------------------------------- */

typedef struct
{
  char *data;
  size_t length;
  size_t capacity;
} text;

static void append_bytes(text *out, const char *bytes, size_t length)
{
  if (out->length + length + 1 > out->capacity)
  {
    size_t capacity = out->capacity ? out->capacity : 64;
    while (capacity < out->length + length + 1)
    {
      capacity *= 2;
    }
    char *grown = allocate(capacity);
    if (out->length)
    {
      memcpy(grown, out->data, out->length);
    }
    out->data = grown;
    out->capacity = capacity;
  }
  memcpy(out->data + out->length, bytes, length);
  out->length += length;
  out->data[out->length] = '\0';
}

static void append(text *out, const char *bytes)
{
  append_bytes(out, bytes, strlen(bytes));
}

static void append_utf8(text *out, int32_t codepoint)
{
  char bytes[4];
  size_t length;
  if (codepoint < 0x80)
  {
    bytes[0] = (char)codepoint;
    length = 1;
  }
  else if (codepoint < 0x800)
  {
    bytes[0] = (char)(0xC0 | (codepoint >> 6));
    bytes[1] = (char)(0x80 | (codepoint & 0x3F));
    length = 2;
  }
  else if (codepoint < 0x10000)
  {
    bytes[0] = (char)(0xE0 | (codepoint >> 12));
    bytes[1] = (char)(0x80 | ((codepoint >> 6) & 0x3F));
    bytes[2] = (char)(0x80 | (codepoint & 0x3F));
    length = 3;
  }
  else
  {
    bytes[0] = (char)(0xF0 | (codepoint >> 18));
    bytes[1] = (char)(0x80 | ((codepoint >> 12) & 0x3F));
    bytes[2] = (char)(0x80 | ((codepoint >> 6) & 0x3F));
    bytes[3] = (char)(0x80 | (codepoint & 0x3F));
    length = 4;
  }
  append_bytes(out, bytes, length);
}

/* Shortest round-trip digits; the conformance programs avoid the doubles where Java prints differently. */
static void append_double(text *out, double value)
{
  char buffer[40];
  if (isnan(value))
  {
    append(out, "##NaN");
    return;
  }
  if (isinf(value))
  {
    append(out, value > 0 ? "##Inf" : "##-Inf");
    return;
  }
  for (int precision = 1; precision <= 17; precision++)
  {
    snprintf(buffer, sizeof buffer, "%.*g", precision, value);
    if (strtod(buffer, NULL) == value)
    {
      break;
    }
  }
  append(out, buffer);
  if (!strpbrk(buffer, ".e"))
  {
    append(out, ".0");
  }
}

static void print(text *out, object *value, int readably);

static void print_items(text *out, object **items, int32_t count, int readably)
{
  for (int32_t i = 0; i < count; i++)
  {
    if (i > 0)
    {
      append(out, " ");
    }
    print(out, items[i], readably);
  }
}

static void print_qualified(text *out, const char *ns, const char *name)
{
  if (ns[0])
  {
    append(out, ns);
    append(out, "/");
  }
  append(out, name);
}

static void print(text *out, object *value, int readably)
{
  char buffer[32];
  switch (value->kind)
  {
  case NIL:
    append(out, "nil");
    break;
  case BOOLEAN:
    append(out, value->as.boolean ? "true" : "false");
    break;
  case INTEGER:
    snprintf(buffer, sizeof buffer, "%lld", (long long)value->as.integer);
    append(out, buffer);
    break;
  case DOUBLE:
    append_double(out, value->as.real);
    break;
  case CHARACTER:
    if (readably)
    {
      append(out, "\\");
    }
    append_utf8(out, value->as.character);
    break;
  case STRING:
    if (!readably)
    {
      append_bytes(out, value->as.string.bytes, (size_t)value->as.string.length);
      break;
    }
    append(out, "\"");
    for (int32_t i = 0; i < value->as.string.length; i++)
    {
      char c = value->as.string.bytes[i];
      switch (c)
      {
      case '"':
        append(out, "\\\"");
        break;
      case '\\':
        append(out, "\\\\");
        break;
      case '\n':
        append(out, "\\n");
        break;
      case '\t':
        append(out, "\\t");
        break;
      default:
        append_bytes(out, &c, 1);
      }
    }
    append(out, "\"");
    break;
  case KEYWORD:
    append(out, ":");
    print_qualified(out, value->as.named.ns, value->as.named.name);
    break;
  case SYMBOL:
    print_qualified(out, value->as.named.ns, value->as.named.name);
    break;
  case LIST:
    append(out, "(");
    print_items(out, value->as.coll.items, value->as.coll.count, readably);
    append(out, ")");
    break;
  case VECTOR:
    append(out, "[");
    print_items(out, value->as.coll.items, value->as.coll.count, readably);
    append(out, "]");
    break;
  case SET:
    append(out, "#{");
    print_items(out, value->as.coll.items, value->as.coll.count, readably);
    append(out, "}");
    break;
  case MAP:
    append(out, "{");
    for (int32_t i = 0; i < value->as.coll.count; i++)
    {
      if (i > 0)
      {
        append(out, ", ");
      }
      print(out, value->as.coll.items[2 * i], readably);
      append(out, " ");
      print(out, value->as.coll.items[2 * i + 1], readably);
    }
    append(out, "}");
    break;
  case PATCH_FN:
    append(out, "#object[");
    append(out, value->as.fn.desc->name);
    append(out, "]");
    break;
  case WRAPPER:
    append(out, "#object[");
    append(out, value->as.wrapper.name);
    append(out, "]");
    break;
  case NATIVE:
    append(out, "#object[");
    append(out, value->as.native.name);
    append(out, "]");
    break;
  case PARTIAL:
    append(out, "#object[clojure.core/partial]");
    break;
  case VAR:
    append(out, "#'");
    print_qualified(out, value->as.var.ns, value->as.var.name);
    break;
  case ERROR:
    append(out, "#error {:message ");
    print(out, value->as.error.message, 1);
    if (value->as.error.data)
    {
      append(out, ", :data ");
      print(out, value->as.error.data, 1);
    }
    append(out, "}");
    break;
  }
}

static char *printed(object *value, int readably)
{
  text out = {0};
  append(&out, "");
  print(&out, value, readably);
  return out.data;
}

/* ---- constructors and errors ----------------------------------------------- */

static object *string_of(const char *bytes, int32_t length)
{
  object *result = new_object(STRING);
  result->as.string.bytes = allocate((size_t)length + 1);
  memcpy(result->as.string.bytes, bytes, (size_t)length);
  result->as.string.length = length;
  return result;
}

static object *boolean_of(int value)
{
  return value ? &true_object : &false_object;
}

static object *integer_of(int64_t value)
{
  object *result = new_object(INTEGER);
  result->as.integer = value;
  return result;
}

static object *double_of(double value)
{
  object *result = new_object(DOUBLE);
  result->as.real = value;
  return result;
}

static object *collection_of(kind kind, int32_t count, object **items)
{
  object *result = new_object(kind);
  result->as.coll.count = count;
  result->as.coll.items = copy_items(kind == MAP ? 2 * count : count, items);
  return result;
}

/* Throws a runtime error with a message (ex-message works, ex-data is nil); returns NULL. */
__attribute__((format(printf, 1, 2))) static object *throw_message(const char *format, ...)
{
  char message[256];
  va_list details;
  va_start(details, format);
  vsnprintf(message, sizeof message, format, details);
  va_end(details);
  object *error = new_object(ERROR);
  error->as.error.message = string_of(message, (int32_t)strlen(message));
  pending_exception = error;
  return NULL;
}

static const char *kind_name(object *value)
{
  static const char *names[] = {"nil",     "boolean", "integer", "double", "character", "string",
                                "keyword", "symbol",  "list",    "vector", "map",       "set",
                                "fn",      "fn",      "fn",      "fn",     "var",       "error"};
  return names[value->kind];
}

/* ---- equality and lookup --------------------------------------------------- */

static int is_sequential(object *value)
{
  return value->kind == LIST || value->kind == VECTOR;
}

static int equiv(object *left, object *right);

static object *map_lookup(object *map, object *key)
{
  for (int32_t i = 0; i < map->as.coll.count; i++)
  {
    if (equiv(map->as.coll.items[2 * i], key))
    {
      return map->as.coll.items[2 * i + 1];
    }
  }
  return NULL;
}

static int set_contains(object *set, object *item)
{
  for (int32_t i = 0; i < set->as.coll.count; i++)
  {
    if (equiv(set->as.coll.items[i], item))
    {
      return 1;
    }
  }
  return 0;
}

static int equiv(object *left, object *right)
{
  if (left == right)
  {
    return 1;
  }
  if (is_sequential(left) && is_sequential(right))
  {
    if (left->as.coll.count != right->as.coll.count)
    {
      return 0;
    }
    for (int32_t i = 0; i < left->as.coll.count; i++)
    {
      if (!equiv(left->as.coll.items[i], right->as.coll.items[i]))
      {
        return 0;
      }
    }
    return 1;
  }
  if (left->kind != right->kind)
  {
    return 0;
  }
  switch (left->kind)
  {
  case INTEGER:
    return left->as.integer == right->as.integer;
  case DOUBLE:
    return left->as.real == right->as.real;
  case CHARACTER:
    return left->as.character == right->as.character;
  case BOOLEAN:
    return left->as.boolean == right->as.boolean;
  case STRING:
    return left->as.string.length == right->as.string.length &&
           memcmp(left->as.string.bytes, right->as.string.bytes,
                  (size_t)left->as.string.length) == 0;
  case KEYWORD:
  case SYMBOL:
    return strcmp(left->as.named.ns, right->as.named.ns) == 0 &&
           strcmp(left->as.named.name, right->as.named.name) == 0;
  case MAP:
    if (left->as.coll.count != right->as.coll.count)
    {
      return 0;
    }
    for (int32_t i = 0; i < left->as.coll.count; i++)
    {
      object *other = map_lookup(right, left->as.coll.items[2 * i]);
      if (!other || !equiv(other, left->as.coll.items[2 * i + 1]))
      {
        return 0;
      }
    }
    return 1;
  case SET:
    if (left->as.coll.count != right->as.coll.count)
    {
      return 0;
    }
    for (int32_t i = 0; i < left->as.coll.count; i++)
    {
      if (!set_contains(right, left->as.coll.items[i]))
      {
        return 0;
      }
    }
    return 1;
  default:
    return 0;
  }
}

/* A map with key set to value (replacing an equal key in place, else appended). */
static object *assoc(object *map, object *key, object *value)
{
  int32_t count = map->as.coll.count;
  object **items = allocate(sizeof(object *) * (size_t)(2 * count + 2));
  memcpy(items, map->as.coll.items, sizeof(object *) * (size_t)(2 * count));
  for (int32_t i = 0; i < count; i++)
  {
    if (equiv(items[2 * i], key))
    {
      items[2 * i + 1] = value;
      object *result = new_object(MAP);
      result->as.coll.count = count;
      result->as.coll.items = items;
      return result;
    }
  }
  items[2 * count] = key;
  items[2 * count + 1] = value;
  object *result = new_object(MAP);
  result->as.coll.count = count + 1;
  result->as.coll.items = items;
  return result;
}

/* ---- interning: keywords and vars -------------------------------------------- */

typedef struct interned
{
  object *value;
  struct interned *next;
} interned;

static interned *keywords;
static interned *vars;

static object *keyword(const char *ns, const char *name)
{
  for (interned *entry = keywords; entry; entry = entry->next)
  {
    if (strcmp(entry->value->as.named.ns, ns) == 0 && strcmp(entry->value->as.named.name, name) == 0)
    {
      return entry->value;
    }
  }
  object *result = new_object(KEYWORD);
  result->as.named.ns = copy_string(ns);
  result->as.named.name = copy_string(name);
  interned *entry = allocate(sizeof(interned));
  entry->value = result;
  entry->next = keywords;
  keywords = entry;
  return result;
}

static object *find_var(const char *ns, const char *name)
{
  for (interned *entry = vars; entry; entry = entry->next)
  {
    if (strcmp(entry->value->as.var.ns, ns) == 0 && strcmp(entry->value->as.var.name, name) == 0)
    {
      return entry->value;
    }
  }
  return NULL;
}

static object *intern_var(const char *ns, const char *name)
{
  object *existing = find_var(ns, name);
  if (existing)
  {
    return existing;
  }
  object *result = new_object(VAR);
  result->as.var.ns = copy_string(ns);
  result->as.var.name = copy_string(name);
  interned *entry = allocate(sizeof(interned));
  entry->value = result;
  entry->next = vars;
  vars = entry;
  return result;
}

/* ---- calling ----------------------------------------------------------------- */

typedef void *p;

/* Calls a function pointer from a patch with n pointer arguments (a call_indirect checks the type). */
static object *call_pointer(void *fn_ptr, int n, object **a)
{
  switch (n)
  {
  case 0:
    return ((p(*)(void))fn_ptr)();
  case 1:
    return ((p(*)(p))fn_ptr)(a[0]);
  case 2:
    return ((p(*)(p, p))fn_ptr)(a[0], a[1]);
  case 3:
    return ((p(*)(p, p, p))fn_ptr)(a[0], a[1], a[2]);
  case 4:
    return ((p(*)(p, p, p, p))fn_ptr)(a[0], a[1], a[2], a[3]);
  case 5:
    return ((p(*)(p, p, p, p, p))fn_ptr)(a[0], a[1], a[2], a[3], a[4]);
  case 6:
    return ((p(*)(p, p, p, p, p, p))fn_ptr)(a[0], a[1], a[2], a[3], a[4], a[5]);
  case 7:
    return ((p(*)(p, p, p, p, p, p, p))fn_ptr)(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
  case 8:
    return ((p(*)(p, p, p, p, p, p, p, p))fn_ptr)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
  case 9:
    return ((p(*)(p, p, p, p, p, p, p, p, p))fn_ptr)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7],
                                                    a[8]);
  case 10:
    return ((p(*)(p, p, p, p, p, p, p, p, p, p))fn_ptr)(a[0], a[1], a[2], a[3], a[4], a[5], a[6],
                                                       a[7], a[8], a[9]);
  case 11:
    return ((p(*)(p, p, p, p, p, p, p, p, p, p, p))fn_ptr)(a[0], a[1], a[2], a[3], a[4], a[5], a[6],
                                                          a[7], a[8], a[9], a[10]);
  case 12:
    return ((p(*)(p, p, p, p, p, p, p, p, p, p, p, p))fn_ptr)(a[0], a[1], a[2], a[3], a[4], a[5],
                                                             a[6], a[7], a[8], a[9], a[10], a[11]);
  default:
    return throw_message("a patch function takes at most JANK_MAX_PARAMS + 2 arguments");
  }
}

static object *arity_error(int argc, const char *name)
{
  return throw_message("Wrong number of args (%d) passed to: %s", argc, name);
}

static object *call(object *callable, int argc, object **args);

static object *call_patch_fn(object *fn, int argc, object **args)
{
  const jank_fn_desc *desc = fn->as.fn.desc;
  for (int32_t i = 0; i < desc->arity_count; i++)
  {
    const jank_arity *arity = &desc->arities[i];
    int fixed = arity->param_count;
    if (arity->variadic ? argc < fixed : argc != fixed)
    {
      continue;
    }
    object *wasm_args[MAX_WASM_PARAMS];
    int n = 0;
    wasm_args[n++] = fn;
    for (int k = 0; k < fixed && n < MAX_WASM_PARAMS; k++)
    {
      wasm_args[n++] = args[k];
    }
    if (arity->variadic && n < MAX_WASM_PARAMS)
    {
      wasm_args[n++] = argc > fixed ? collection_of(LIST, argc - fixed, args + fixed) : &nil_object;
    }
    return call_pointer(arity->fn_ptr, n, wasm_args);
  }
  return arity_error(argc, desc->name);
}

static object *call(object *callable, int argc, object **args)
{
  switch (callable->kind)
  {
  case PATCH_FN:
    return call_patch_fn(callable, argc, args);
  case WRAPPER:
    if (argc != callable->as.wrapper.arity)
    {
      return arity_error(argc, callable->as.wrapper.name);
    }
    return call_pointer(callable->as.wrapper.fn_ptr, argc, args);
  case NATIVE:
    return callable->as.native.fn(argc, args);
  case PARTIAL:
  {
    int32_t bound = callable->as.partial.count;
    object **all = allocate(sizeof(object *) * (size_t)(bound + argc + 1));
    memcpy(all, callable->as.partial.args, sizeof(object *) * (size_t)bound);
    if (argc > 0)
    {
      memcpy(all + bound, args, sizeof(object *) * (size_t)argc);
    }
    return call(callable->as.partial.callable, bound + argc, all);
  }
  case VAR:
    if (!callable->as.var.root)
    {
      return throw_message("Attempting to call unbound fn: #'%s", callable->as.var.name);
    }
    return call(callable->as.var.root, argc, args);
  case KEYWORD:
    if (argc < 1 || argc > 2)
    {
      return arity_error(argc, "keyword");
    }
    if (args[0]->kind == MAP)
    {
      object *found = map_lookup(args[0], callable);
      if (found)
      {
        return found;
      }
    }
    return argc == 2 ? args[1] : &nil_object;
  case MAP:
  {
    if (argc < 1 || argc > 2)
    {
      return arity_error(argc, "map");
    }
    object *found = map_lookup(callable, args[0]);
    return found ? found : argc == 2 ? args[1] : &nil_object;
  }
  default:
    return throw_message("a %s cannot be called as a fn", kind_name(callable));
  }
}

/* ---- numbers ------------------------------------------------------------------- */

static int is_number(object *value)
{
  return value->kind == INTEGER || value->kind == DOUBLE;
}

static double as_double(object *value)
{
  return value->kind == INTEGER ? (double)value->as.integer : value->as.real;
}

typedef enum
{
  ADD,
  SUBTRACT,
  MULTIPLY,
  DIVIDE
} arithmetic;

static object *arithmetic_of(arithmetic op, object *left, object *right)
{
  if (!left || !right)
  {
    return NULL;
  }
  if (!is_number(left) || !is_number(right))
  {
    return throw_message("cannot do arithmetic on a %s",
                         kind_name(is_number(left) ? right : left));
  }
  if (left->kind == INTEGER && right->kind == INTEGER)
  {
    int64_t a = left->as.integer, b = right->as.integer, result = 0;
    int overflow = 0;
    switch (op)
    {
    case ADD:
      overflow = __builtin_add_overflow(a, b, &result);
      break;
    case SUBTRACT:
      overflow = __builtin_sub_overflow(a, b, &result);
      break;
    case MULTIPLY:
      overflow = __builtin_mul_overflow(a, b, &result);
      break;
    case DIVIDE:
      if (b == 0)
      {
        return throw_message("Divide by zero");
      }
      if (a % b != 0)
      {
        return throw_message("ratios are not supported by the conformance runtime");
      }
      result = a / b;
      break;
    }
    if (overflow)
    {
      return throw_message("integer overflow");
    }
    return integer_of(result);
  }
  double a = as_double(left), b = as_double(right);
  switch (op)
  {
  case ADD:
    return double_of(a + b);
  case SUBTRACT:
    return double_of(a - b);
  case MULTIPLY:
    return double_of(a * b);
  case DIVIDE:
    return double_of(a / b);
  }
  return NULL;
}

/* -1, 0 or 1; 2 (and a pending exception) when either is not a number. */
static int compare_numbers(object *left, object *right)
{
  if (!is_number(left) || !is_number(right))
  {
    throw_message("cannot compare a %s", kind_name(is_number(left) ? right : left));
    return 2;
  }
  if (left->kind == INTEGER && right->kind == INTEGER)
  {
    return (left->as.integer > right->as.integer) - (left->as.integer < right->as.integer);
  }
  double a = as_double(left), b = as_double(right);
  return (a > b) - (a < b);
}

/* ---- seed helpers ---------------------------------------------------------------- */

SEED_EXPORT void *jank_box_integer(int64_t value)
{
  return integer_of(value);
}

SEED_EXPORT int64_t jank_unbox_integer(void *value)
{
  object *v = value;
  return v && v->kind == INTEGER ? v->as.integer : 0;
}

SEED_EXPORT void *jank_add_integers(void *left, void *right)
{
  return integer_of(jank_unbox_integer(left) + jank_unbox_integer(right));
}

SEED_EXPORT void *jank_box_double(double value)
{
  return double_of(value);
}

SEED_EXPORT double jank_unbox_double(void *value)
{
  object *v = value;
  return v && is_number(v) ? as_double(v) : 0.0;
}

SEED_EXPORT void *jank_make_string(const char *utf8)
{
  return string_of(utf8, (int32_t)strlen(utf8));
}

SEED_EXPORT void *jank_make_keyword(const char *ns, const char *name)
{
  return keyword(ns, name);
}

SEED_EXPORT void *jank_make_symbol(const char *ns, const char *name)
{
  object *result = new_object(SYMBOL);
  result->as.named.ns = copy_string(ns);
  result->as.named.name = copy_string(name);
  return result;
}

SEED_EXPORT void *jank_make_vector(int count, void **elements)
{
  return collection_of(VECTOR, count, (object **)elements);
}

SEED_EXPORT void *jank_make_set(int count, void **elements)
{
  object **items = allocate(sizeof(object *) * (size_t)(count > 0 ? count : 1));
  object set = {SET, {.coll = {0, items}}};
  for (int i = 0; i < count; i++)
  {
    if (!set_contains(&set, elements[i]))
    {
      items[set.as.coll.count++] = elements[i];
    }
  }
  return collection_of(SET, set.as.coll.count, items);
}

SEED_EXPORT void *jank_call_var(const char *ns, const char *name, int argc, void **args)
{
#ifdef JANK_CONFORMANCE_SEED
  if (argc > JANK_SEED_CALL_VAR_MAX_ARGS)
  {
    seed_limit_broken("jank_call_var with arguments:", argc, JANK_SEED_CALL_VAR_MAX_ARGS);
  }
#endif
  object *var = find_var(ns, name);
  if (!var || !var->as.var.root)
  {
    fprintf(stderr, "jank_call_var: no such var %s/%s\n", ns, name);
    return &nil_object;
  }
  return call(var->as.var.root, argc, (object **)args);
}

SEED_EXPORT void *jank_deref_var(const char *ns, const char *name)
{
  object *var = find_var(ns, name);
  if (!var || !var->as.var.root)
  {
    fprintf(stderr, "jank_deref_var: no such var %s/%s\n", ns, name);
    return &nil_object;
  }
  return var->as.var.root;
}

static object *println_of(int argc, object **args)
{
  text out = {0};
  append(&out, "");
  for (int i = 0; i < argc; i++)
  {
    if (i > 0)
    {
      append(&out, " ");
    }
    print(&out, args[i], 0);
  }
  append(&out, "\n");
  fputs(out.data, stdout);
  return &nil_object;
}

SEED_EXPORT void *jank_println(int argc, void **args)
{
  return println_of(argc, (object **)args);
}

SEED_EXPORT void *jank_nil_value(void)
{
  return &nil_object;
}

SEED_EXPORT jank_bool jank_truthy(void *value)
{
  object *v = value;
  return v->kind != NIL && !(v->kind == BOOLEAN && !v->as.boolean);
}

static object *wrapper_of(void *fn_ptr, int arity, const char *name)
{
  object *result = new_object(WRAPPER);
  result->as.wrapper.fn_ptr = fn_ptr;
  result->as.wrapper.arity = arity;
  result->as.wrapper.name = name;
  return result;
}

SEED_EXPORT void *jank_make_fn_wrapper(void *fn_ptr, int arity)
{
#ifdef JANK_CONFORMANCE_SEED
  if (arity > JANK_SEED_WRAPPER_MAX_ARITY)
  {
    seed_limit_broken("jank_make_fn_wrapper of arity", arity, JANK_SEED_WRAPPER_MAX_ARITY);
  }
#endif
  return wrapper_of(fn_ptr, arity, "fn-wrapper");
}

/* ---- extension helpers ------------------------------------------------------------ */

EXT_EXPORT void *jank_box_boolean(int value)
{
  return boolean_of(value);
}

EXT_EXPORT void *jank_make_char(int32_t codepoint)
{
  object *result = new_object(CHARACTER);
  result->as.character = codepoint;
  return result;
}

EXT_EXPORT void *jank_make_string_n(const char *utf8, int32_t length)
{
  return string_of(utf8, length);
}

EXT_EXPORT void *jank_make_regex(const char *source, int32_t length)
{
  (void)source;
  return throw_message("regex patterns are not part of the conformance runtime (%d bytes of source)",
                       (int)length);
}

EXT_EXPORT void *jank_make_uuid(const char *text)
{
  return throw_message("UUID %s is not supported by the conformance runtime", text);
}

EXT_EXPORT void *jank_make_list(int count, void **elements)
{
  return collection_of(LIST, count, (object **)elements);
}

EXT_EXPORT void *jank_make_map(int pair_count, void **elements)
{
  object *map = collection_of(MAP, 0, NULL);
  for (int i = 0; i < pair_count; i++)
  {
    map = assoc(map, elements[2 * i], elements[2 * i + 1]);
  }
  return map;
}

/* The value model has no arbitrary-precision numbers: a literal that needs
 * one throws rather than becoming a wrong value. */
EXT_EXPORT void *jank_big_integer_create(const char *digits)
{
  return throw_message("BigInt %sN is not supported by the conformance runtime", digits);
}

EXT_EXPORT void *jank_big_decimal_create(const char *digits)
{
  return throw_message("BigDecimal %sM is not supported by the conformance runtime", digits);
}

EXT_EXPORT void *jank_ratio_create(void *numerator, void *denominator)
{
  (void)numerator;
  (void)denominator;
  return throw_message("ratios are not supported by the conformance runtime");
}

EXT_EXPORT void *jank_var_intern_c(const char *ns, const char *name)
{
  return intern_var(ns, name);
}

EXT_EXPORT void *jank_var_deref(void *var)
{
  object *v = var;
  if (!v->as.var.root)
  {
    return throw_message("Var %s is unbound.", v->as.var.name);
  }
  return v->as.var.root;
}

EXT_EXPORT void *jank_var_bind_root(void *var, void *value)
{
  object *v = var;
  v->as.var.root = value;
  return v;
}

EXT_EXPORT int jank_var_is_bound(void *var)
{
  object *v = var;
  return v->as.var.root != NULL;
}

EXT_EXPORT void *jank_make_fn(const jank_fn_desc *desc, int32_t env_count, void **env)
{
  object *result = new_object(PATCH_FN);
  result->as.fn.desc = desc;
  result->as.fn.env_count = env_count;
  result->as.fn.env = copy_items(env_count, (object **)env);
  return result;
}

EXT_EXPORT void **jank_closure_env(void *fn)
{
  object *f = fn;
  return f->kind == PATCH_FN ? (void **)f->as.fn.env : NULL;
}

EXT_EXPORT void *jank_call(void *callable, int argc, void **args)
{
  return call(callable, argc, (object **)args);
}

/* This runtime never frees, so a safe point has nothing to do. */
EXT_EXPORT void jank_gc_poll(void)
{
}

/* This runtime offers no direct calls: every record is empty, so patches
 * call through jank_call. */
static uint32_t call_depth;
static const jank_direct_calls no_direct_calls = {&call_depth, NULL, {NULL}, {NULL}};

EXT_EXPORT const jank_direct_calls *jank_var_direct_calls(void *var)
{
  (void)var;
  return &no_direct_calls;
}

EXT_EXPORT void jank_exception_set(void *value)
{
  pending_exception = value;
}

EXT_EXPORT void *jank_exception_take(void)
{
  object *taken = pending_exception ? pending_exception : &nil_object;
  pending_exception = NULL;
  return taken;
}

EXT_EXPORT void *jank_add(void *left, void *right)
{
  return arithmetic_of(ADD, left, right);
}

EXT_EXPORT void *jank_subtract(void *left, void *right)
{
  return arithmetic_of(SUBTRACT, left, right);
}

EXT_EXPORT void *jank_multiply(void *left, void *right)
{
  return arithmetic_of(MULTIPLY, left, right);
}

EXT_EXPORT void *jank_divide(void *left, void *right)
{
  return arithmetic_of(DIVIDE, left, right);
}

EXT_EXPORT void *jank_inc(void *value)
{
  static object one = {INTEGER, {.integer = 1}};
  return arithmetic_of(ADD, value, &one);
}

EXT_EXPORT void *jank_dec(void *value)
{
  static object one = {INTEGER, {.integer = 1}};
  return arithmetic_of(SUBTRACT, value, &one);
}

static void *comparison(void *left, void *right, int (*holds)(int))
{
  int order = compare_numbers(left, right);
  return order == 2 ? NULL : boolean_of(holds(order));
}

static int is_less(int order)
{
  return order < 0;
}
static int is_less_equal(int order)
{
  return order <= 0;
}
static int is_greater(int order)
{
  return order > 0;
}
static int is_greater_equal(int order)
{
  return order >= 0;
}
static int is_equal(int order)
{
  return order == 0;
}

EXT_EXPORT void *jank_less(void *left, void *right)
{
  return comparison(left, right, is_less);
}

EXT_EXPORT void *jank_less_equal(void *left, void *right)
{
  return comparison(left, right, is_less_equal);
}

EXT_EXPORT void *jank_greater(void *left, void *right)
{
  return comparison(left, right, is_greater);
}

EXT_EXPORT void *jank_greater_equal(void *left, void *right)
{
  return comparison(left, right, is_greater_equal);
}

EXT_EXPORT void *jank_number_equal(void *left, void *right)
{
  return comparison(left, right, is_equal);
}

EXT_EXPORT int jank_equiv(void *left, void *right)
{
  return equiv(left, right);
}

/* Integers are boxed anew each time here: no shared array. */
EXT_EXPORT const void *jank_small_ints(void)
{
  return NULL;
}

/* ---- clojure.core: what the conformance programs and the seed lowering call ---------- */

static object *fold(arithmetic op, int64_t identity, int argc, object **args)
{
  if (argc == 0)
  {
    return integer_of(identity);
  }
  if (argc == 1 && (op == SUBTRACT || op == DIVIDE))
  {
    return arithmetic_of(op, integer_of(identity), args[0]);
  }
  object *result = args[0];
  for (int i = 1; i < argc && result; i++)
  {
    result = arithmetic_of(op, result, args[i]);
  }
  return result;
}

static object *core_add(int argc, object **args)
{
  return fold(ADD, 0, argc, args);
}

static object *core_subtract(int argc, object **args)
{
  return argc == 0 ? arity_error(0, "clojure.core/-") : fold(SUBTRACT, 0, argc, args);
}

static object *core_multiply(int argc, object **args)
{
  return fold(MULTIPLY, 1, argc, args);
}

static object *compare_chain(int argc, object **args, int (*holds)(int))
{
  for (int i = 0; i + 1 < argc; i++)
  {
    int order = compare_numbers(args[i], args[i + 1]);
    if (order == 2)
    {
      return NULL;
    }
    if (!holds(order))
    {
      return &false_object;
    }
  }
  return &true_object;
}

static object *core_less(int argc, object **args)
{
  return compare_chain(argc, args, is_less);
}

static object *core_greater(int argc, object **args)
{
  return compare_chain(argc, args, is_greater);
}

static object *core_equals(int argc, object **args)
{
  for (int i = 0; i + 1 < argc; i++)
  {
    if (!equiv(args[i], args[i + 1]))
    {
      return &false_object;
    }
  }
  return &true_object;
}

static object *core_inc(int argc, object **args)
{
  return argc == 1 ? jank_inc(args[0]) : arity_error(argc, "clojure.core/inc");
}

static object *core_dec(int argc, object **args)
{
  return argc == 1 ? jank_dec(args[0]) : arity_error(argc, "clojure.core/dec");
}

/* The items of nil, a list, a vector or a set, as (count, items). */
static int items_of(object *coll, int32_t *count, object ***items)
{
  switch (coll->kind)
  {
  case NIL:
    *count = 0;
    *items = NULL;
    return 1;
  case LIST:
  case VECTOR:
  case SET:
    *count = coll->as.coll.count;
    *items = coll->as.coll.items;
    return 1;
  default:
    throw_message("don't know how to make a seq from a %s", kind_name(coll));
    return 0;
  }
}

static object *core_apply(int argc, object **args)
{
  if (argc < 2)
  {
    return arity_error(argc, "clojure.core/apply");
  }
  int32_t spread_count;
  object **spread;
  if (!items_of(args[argc - 1], &spread_count, &spread))
  {
    return NULL;
  }
  int32_t leading = argc - 2;
  object **all = allocate(sizeof(object *) * (size_t)(leading + spread_count + 1));
  if (leading > 0)
  {
    memcpy(all, args + 1, sizeof(object *) * (size_t)leading);
  }
  if (spread_count > 0)
  {
    memcpy(all + leading, spread, sizeof(object *) * (size_t)spread_count);
  }
  return call(args[0], leading + spread_count, all);
}

static object *core_partial(int argc, object **args)
{
  if (argc < 1)
  {
    return arity_error(argc, "clojure.core/partial");
  }
  object *result = new_object(PARTIAL);
  result->as.partial.callable = args[0];
  result->as.partial.count = argc - 1;
  result->as.partial.args = copy_items(argc - 1, args + 1);
  return result;
}

static object *core_hash_map(int argc, object **args)
{
  if (argc % 2 != 0)
  {
    return throw_message("No value supplied for key: %s", printed(args[argc - 1], 1));
  }
  return jank_make_map(argc / 2, (void **)args);
}

static object *core_list(int argc, object **args)
{
  return collection_of(LIST, argc, args);
}

static object *core_vector(int argc, object **args)
{
  return collection_of(VECTOR, argc, args);
}

static object *core_str(int argc, object **args)
{
  text out = {0};
  append(&out, "");
  for (int i = 0; i < argc; i++)
  {
    if (args[i]->kind != NIL)
    {
      print(&out, args[i], 0);
    }
  }
  return string_of(out.data, (int32_t)out.length);
}

static object *core_println(int argc, object **args)
{
  return println_of(argc, args);
}

static object *core_boolean(int argc, object **args)
{
  return argc == 1 ? boolean_of(jank_truthy(args[0])) : arity_error(argc, "clojure.core/boolean");
}

static object *core_char(int argc, object **args)
{
  if (argc != 1 || args[0]->kind != INTEGER)
  {
    return throw_message("clojure.core/char takes one integer");
  }
  return jank_make_char((int32_t)args[0]->as.integer);
}

static object *core_ex_info(int argc, object **args)
{
  if (argc != 2)
  {
    return arity_error(argc, "clojure.core/ex-info");
  }
  object *error = new_object(ERROR);
  error->as.error.message = args[0];
  error->as.error.data = args[1];
  return error;
}

static object *core_ex_data(int argc, object **args)
{
  if (argc != 1)
  {
    return arity_error(argc, "clojure.core/ex-data");
  }
  return args[0]->kind == ERROR && args[0]->as.error.data ? args[0]->as.error.data : &nil_object;
}

static object *core_ex_message(int argc, object **args)
{
  if (argc != 1)
  {
    return arity_error(argc, "clojure.core/ex-message");
  }
  return args[0]->kind == ERROR ? args[0]->as.error.message : &nil_object;
}

/* jank.runtime/instance-or-nil, how a patch's `catch` of a class tests what was thrown. This
 * runtime's errors are RuntimeExceptions (ex-info's are ExceptionInfos); any other thrown value
 * stands for the ClassCastException the JVM throws in its place. */
static object *runtime_instance_or_nil(int argc, object **args)
{
  if (argc != 2 || args[0]->kind != STRING)
  {
    return arity_error(argc, "jank.runtime/instance-or-nil");
  }
  const char *class = args[0]->as.string.bytes;
  object *thrown = args[1];
  int is_error = thrown->kind == ERROR;
  int caught = !strcmp(class, "java.lang.Exception") || !strcmp(class, "java.lang.RuntimeException")
               || (is_error && thrown->as.error.data && !strcmp(class, "clojure.lang.ExceptionInfo"))
               || (!is_error && !strcmp(class, "java.lang.ClassCastException"));
  return caught && thrown->kind != NIL ? thrown : &nil_object;
}

static object *core_get(int argc, object **args)
{
  if (argc < 2 || argc > 3)
  {
    return arity_error(argc, "clojure.core/get");
  }
  object *found = args[0]->kind == MAP ? map_lookup(args[0], args[1]) : NULL;
  return found ? found : argc == 3 ? args[2] : &nil_object;
}

static object *core_assoc(int argc, object **args)
{
  if (argc < 3 || argc % 2 == 0)
  {
    return arity_error(argc, "clojure.core/assoc");
  }
  object *map = args[0]->kind == NIL ? collection_of(MAP, 0, NULL) : args[0];
  if (map->kind != MAP)
  {
    return throw_message("the conformance runtime assocs only into maps, not a %s", kind_name(map));
  }
  for (int i = 1; i + 1 < argc; i += 2)
  {
    map = assoc(map, args[i], args[i + 1]);
  }
  return map;
}

static object *core_count(int argc, object **args)
{
  if (argc != 1)
  {
    return arity_error(argc, "clojure.core/count");
  }
  switch (args[0]->kind)
  {
  case NIL:
    return integer_of(0);
  case STRING:
    return integer_of(args[0]->as.string.length);
  case LIST:
  case VECTOR:
  case SET:
  case MAP:
    return integer_of(args[0]->as.coll.count);
  default:
    return throw_message("count not supported on a %s", kind_name(args[0]));
  }
}

static object *core_mapv(int argc, object **args)
{
  int32_t count;
  object **items;
  if (argc != 2)
  {
    return arity_error(argc, "clojure.core/mapv");
  }
  if (!items_of(args[1], &count, &items))
  {
    return NULL;
  }
  object **mapped = allocate(sizeof(object *) * (size_t)(count > 0 ? count : 1));
  for (int32_t i = 0; i < count; i++)
  {
    mapped[i] = call(args[0], 1, &items[i]);
    if (!mapped[i])
    {
      return NULL;
    }
  }
  return collection_of(VECTOR, count, mapped);
}

static object *core_set(int argc, object **args)
{
  int32_t count;
  object **items;
  if (argc != 1)
  {
    return arity_error(argc, "clojure.core/set");
  }
  if (!items_of(args[0], &count, &items))
  {
    return NULL;
  }
  return jank_make_set(count, (void **)items);
}

static object *set_union(int argc, object **args)
{
  int32_t total = 0;
  for (int i = 0; i < argc; i++)
  {
    if (args[i]->kind != SET)
    {
      return throw_message("clojure.set/union takes sets, not a %s", kind_name(args[i]));
    }
    total += args[i]->as.coll.count;
  }
  object **items = allocate(sizeof(object *) * (size_t)(total > 0 ? total : 1));
  int32_t count = 0;
  for (int i = 0; i < argc; i++)
  {
    memcpy(items + count, args[i]->as.coll.items, sizeof(object *) * (size_t)args[i]->as.coll.count);
    count += args[i]->as.coll.count;
  }
  return jank_make_set(count, (void **)items);
}

static const struct
{
  const char *name;
  native_fn fn;
} core_functions[] = {
    {"+", core_add},           {"-", core_subtract},    {"*", core_multiply},
    {"<", core_less},          {">", core_greater},     {"=", core_equals},
    {"inc", core_inc},         {"dec", core_dec},       {"apply", core_apply},
    {"partial", core_partial}, {"hash-map", core_hash_map}, {"array-map", core_hash_map},
    {"list", core_list},       {"vector", core_vector}, {"str", core_str},
    {"println", core_println}, {"boolean", core_boolean}, {"char", core_char},
    {"ex-info", core_ex_info}, {"ex-data", core_ex_data}, {"ex-message", core_ex_message},
    {"get", core_get},         {"assoc", core_assoc},   {"count", core_count},
    {"mapv", core_mapv},       {"set", core_set},
};

static void define_native(const char *ns, const char *name, native_fn fn)
{
  object *var = intern_var(ns, name);
  object *native = new_object(NATIVE);
  char *qualified = allocate(strlen(ns) + strlen(name) + 2);
  sprintf(qualified, "%s/%s", ns, name);
  native->as.native.name = qualified;
  native->as.native.fn = fn;
  var->as.var.root = native;
}

__attribute__((constructor)) static void define_clojure_core(void)
{
  for (size_t i = 0; i < sizeof core_functions / sizeof core_functions[0]; i++)
  {
    define_native("clojure.core", core_functions[i].name, core_functions[i].fn);
  }
  define_native("clojure.set", "union", set_union);
  define_native("jank.runtime", "instance-or-nil", runtime_instance_or_nil);
}

/* ---- the loader ------------------------------------------------------------------------ */

#ifndef JANK_CONFORMANCE_SEED
/* A registry thunk: "def", "defonce" and "eval" entries. */
typedef void *(*thunk)(void);

static void report_pending(const char *entry)
{
  object *thrown = jank_exception_take();
  fprintf(stderr, "jank_hot_reload_load_patch: %s threw %s\n", entry, printed(thrown, 1));
}
#endif

/* An arity from a numeric registry signature (strtol, as jank does), or -1. */
static int registry_arity(const char *signature)
{
  char *end;
  long arity = strtol(signature, &end, 10);
  if (end == signature || *end != '\0' || arity < 0 || arity > REGISTRY_MAX_ARITY)
  {
    return -1;
  }
  return (int)arity;
}

/* Runs one registry entry (jank_patch_abi.h, "Registry"); 0 on success, -1 on failure. */
static int register_entry(const patch_symbol *entry)
{
  const char *qualified = entry->qualified_name;
  const char *signature = entry->signature;
#ifndef JANK_CONFORMANCE_SEED
  if (strcmp(signature, "eval") == 0)
  {
    if (!((thunk)entry->fn_ptr)())
    {
      report_pending(qualified);
      return -1;
    }
    return 0;
  }
#endif
  const char *slash = strrchr(qualified, '/');
  if (slash && slash[1] == '\0' && slash > qualified)
  {
    /* "clojure.core//" names the var `/`. */
    const char *previous = slash - 1;
    while (previous > qualified && *previous != '/')
    {
      previous--;
    }
    slash = *previous == '/' ? previous : NULL;
  }
  if (!slash || slash == qualified)
  {
    fprintf(stderr, "jank_hot_reload_load_patch: `%s` is not ns/name\n", qualified);
    return -1;
  }
  char *ns = copy_string(qualified);
  ns[slash - qualified] = '\0';
  object *var = intern_var(ns, slash + 1);
  int arity = registry_arity(signature);
  if (arity >= 0)
  {
    var->as.var.root = wrapper_of(entry->fn_ptr, arity, var->as.var.name);
    return 0;
  }
#ifndef JANK_CONFORMANCE_SEED
  int once = strcmp(signature, "defonce") == 0;
  if (once || strcmp(signature, "def") == 0)
  {
    if (once && var->as.var.root)
    {
      return 0;
    }
    object *value = ((thunk)entry->fn_ptr)();
    if (!value)
    {
      report_pending(qualified);
      return -1;
    }
    var->as.var.root = value;
    return 0;
  }
#endif
  fprintf(stderr, "jank_hot_reload_load_patch: unsupported signature `%s` for %s\n", signature,
          qualified);
  return -1;
}

/* What jank's hot_reload.cpp does with a patch written to a unique path; 0 on success, -1 on failure. */
EMSCRIPTEN_KEEPALIVE int jank_hot_reload_load_patch(const char *path, const char *symbol_name)
{
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle)
  {
    fprintf(stderr, "jank_hot_reload_load_patch: dlopen %s: %s\n", path, dlerror());
    return -1;
  }
  typedef patch_symbol *(*symbols_fn)(int *count);
  symbols_fn symbols = (symbols_fn)dlsym(handle, symbol_name);
  if (!symbols)
  {
    fprintf(stderr, "jank_hot_reload_load_patch: dlsym %s: %s\n", symbol_name, dlerror());
    return -1;
  }
  int count = 0;
  patch_symbol *entries = symbols(&count);
  for (int i = 0; i < count; i++)
  {
    if (register_entry(&entries[i]) != 0)
    {
      return -1;
    }
  }
  return 0;
}

/* ---- host hook for the test driver -------------------------------------------------------- */

/*
 * Calls the var `ns/name` with the arguments in args_text (space-separated
 * integers and :keywords) and returns the result as pr-str prints it, or
 * "THREW <error>" when the call threw. The text stays valid until the next call.
 */
EMSCRIPTEN_KEEPALIVE const char *jank_conformance_call(const char *qualified, const char *args_text)
{
  object *args[16];
  int argc = 0;
  const char *cursor = args_text;
  while (*cursor && argc < 16)
  {
    while (*cursor == ' ')
    {
      cursor++;
    }
    if (!*cursor)
    {
      break;
    }
    const char *end = strchr(cursor, ' ');
    size_t length = end ? (size_t)(end - cursor) : strlen(cursor);
    char *token = allocate(length + 1);
    memcpy(token, cursor, length);
    args[argc++] = token[0] == ':' ? keyword("", token + 1) : integer_of(strtoll(token, NULL, 10));
    cursor += length;
  }
  const char *slash = strrchr(qualified, '/');
  if (!slash)
  {
    return "THREW not a qualified var name";
  }
  char *ns = copy_string(qualified);
  ns[slash - qualified] = '\0';
  object *result = call(intern_var(ns, slash + 1), argc, args);
  if (!result)
  {
    text out = {0};
    append(&out, "THREW ");
    print(&out, jank_exception_take(), 1);
    return out.data;
  }
  return printed(result, 1);
}
