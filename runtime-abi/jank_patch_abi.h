/*
 * jank_patch_abi.h: the helper ABI between a jankwasm patch (an Emscripten
 * SIDE_MODULE) and the jank runtime that loads it (an Emscripten MAIN_MODULE,
 * or the stub in runtime-abi/stub that plays one).
 *
 * This header is the one source of truth. The compiler reads the helper
 * table below at build time (runtime-abi/build.rs), the stub module must
 * export every helper with exactly these wasm signatures (checked by tests),
 * and C++ patches emitted by `jankwasm emit --cpp` include it.
 *
 * Conventions
 * -----------
 * - Every jank value is an opaque `jank_object_ref` (`void *`, an i32 in
 *   wasm32), as in jank's c_api.h. nil, true and false are values too; a
 *   valid value is never NULL.
 * - wasm types: pointers, `int`, `int32_t` and `jank_bool` are i32,
 *   `int64_t` is i64 (patches require a main module built with
 *   -sWASM_BIGINT), `double` f64.
 * - A name jank's own C API (compiler+runtime/include/cpp/jank/c_api.h)
 *   declares means exactly what it means there, with the same C signature
 *   (runtime-abi/tests/jank_c_api.txt records c_api.h; a test compares).
 * - Under Emscripten 3.1.6's dlopen (checked by tests/runtime/real_loader.rs, see
 *   docs/emscripten-side-modules.md) a helper imported with another wasm
 *   signature than the main module's export fails the load with a LinkError,
 *   but a helper the main module does not export at all still loads: the
 *   loader links a JS stub that throws on the first call. A loader should
 *   check a patch's imports against its exports before dlopen.
 *
 * Declaring a helper
 * ------------------
 * Each helper a patch may import is declared on ONE line, preceded by its
 * comment:
 *     JANK_HELPER(origin, throwing) return_type name(params);
 * - origin: `seed` (jank's hot_reload.cpp exports it today, see
 *   docs/jank-runtime.md), `ext` (an extension this project defines; a jank
 *   runtime adds it unchanged in meaning) or `host` (the embedding host, the
 *   page's JavaScript, provides it; the runtime does not export it).
 * - throwing: `throws` when the helper may throw, which it signals by
 *   returning NULL with the exception pending (see Exceptions), or `nothrow`.
 *   Only a helper returning `jank_object_ref` can be `throws`.
 * - return_type fixes what a call leaves: `jank_object_ref` a value, `int`
 *   or `int32_t` a count or flag, `jank_bool` a truth value (0 or 1),
 *   `int64_t` / `double` a number, another pointer a raw address, `void`
 *   nothing.
 * The build (runtime-abi/build.rs) turns these lines into the typed
 * `jank_runtime_abi::Helper` enum every part of jankwasm uses, and the lines
 *     #define JANK_<NAME> <integer>
 * into constants of the same name. Adding a helper is one line here plus its
 * implementation in the stub (ARCHITECTURE.md has the checklist).
 *
 * Exceptions
 * ----------
 * jank can throw any value. Across this ABI a throw is a pending exception
 * held by the runtime plus a NULL return: every helper declared `throws`
 * returns NULL when it threw (directly or from a jank function it called),
 * and the patch checks every such call and propagates NULL to its own caller after running
 * any `finally` code, or take the exception with jank_exception_take() in a
 * `catch`. Patch functions follow the same rule, so a runtime calling a
 * patch function treats NULL as "threw". Seed helpers predate this rule; a
 * jank runtime adopting the extensions wraps them with a C++ catch that
 * stores the exception and returns NULL.
 *
 * Patch functions
 * ---------------
 * A fn arity compiled by jankwasm is a wasm function
 *     void *f(void *self, void *p0, ..., void *pN-1 [, void *rest])
 * where `self` is the fn object (closures read their captured values through
 * jank_closure_env(self)) and `rest` is a seq of the remaining arguments, or
 * nil, for a variadic arity. A seed-style fixed-arity fn registered with a
 * numeric signature has no `self`: `void *f(void *p0, ..., void *pN-1)`.
 *
 * Registry: what jank_patch_symbols_<id> returns
 * -----------------------------------------------
 * `patch_symbol *jank_patch_symbols_<id>(int *count)` returns an array of
 * `count` entries, which the registry processes in order:
 *
 *   signature  qualified_name  fn_ptr                         registry action
 *   "N"        "ns/name"       void *(*)(void *p0..pN-1)      (seed) wrap as a fn of fixed
 *              (N = 0..JANK_MAX_PARAMS)                        arity N, bind the var's root
 *   "def"      "ns/name"       void *(*)(void)                call it; bind the var's root to
 *                                                              the value (a fn object of any
 *                                                              shape, or any other value)
 *   "defonce"  "ns/name"       void *(*)(void)                as "def", but only when the var
 *                                                              has no root yet (state survives
 *                                                              reloads); otherwise not called
 *   "eval"     "ns"            void *(*)(void)                call it; its value is the value
 *                                                              of a top-level form evaluated in
 *                                                              namespace ns, reported, not bound
 *
 * NULL from a thunk means the form threw: the registry reports the pending
 * exception and stops processing that patch. A "defonce" whose var already
 * has a root returns that root without calling the thunk. Patches never
 * import GOT entries, and every exported name carries the patch id.
 *
 * Facts a runtime can rely on (checked by the stub's and harness's tests)
 * -----------------------------------------------------------------------
 * - Patches keep `__stack_pointer` balanced across every call and keep their
 *   frames 16-byte aligned; argument arrays (`void **args`) live there.
 * - Memory from `malloc` is not zeroed (as Emscripten's); a patch's data
 *   segment covers its whole mem_size, so loaders need not clear it.
 * - jank_exception_take returns nil when nothing is pending.
 * - jank_closure_env is NULL for fns not made by jank_make_fn (seed
 *   wrappers, clojure.core fns).
 * - Integer overflow in + - * inc dec throws, as Clojure's
 *   ArithmeticException, with the message "long overflow".
 *
 * Collection inside calls
 * -----------------------
 * A runtime with a tracing collector may collect inside a call, at
 * jank_gc_poll and inside jank_call (a long `reduce`, `count` or `dorun`
 * collects as it walks). wasm locals are invisible to it, so a patch whose
 * module has the custom section `jank.frame_roots` (contents: the byte 1)
 * promises that every object reference it uses after a call of jank_call or
 * jank_gc_poll is, during that call, in a root area of its shadow-stack
 * frame: consecutive i32 words
 *     JANK_FRAME_ROOTS_MAGIC, n, slot 0, ..., slot n-1
 * written by the function's prologue (n <= JANK_FRAME_ROOTS_MAX_SLOTS). The
 * runtime finds root areas by scanning the live part of the shadow stack
 * for the magic word (odd, so never an object's address), and treats a
 * slot as a reference only when it holds the address of one of its objects
 * (a slot not yet assigned in this call holds a stale word). Argument
 * arrays are not roots: a value that must survive the evaluation of a later
 * argument waits in a slot until the array is filled, and the callee keeps
 * what it needs of its arguments itself (so a seq passed to `count` is not
 * kept by its caller). The magic word and n may be written by one 64-bit
 * store. A call of jank_call whose callable is a quiet var is no safe point
 * for this promise: quiet vars are the runtime vars that runtime_vars.txt
 * lists without ` collects` (their natives never collect), and the runtime
 * runs such a call with collection inhibited whatever the var holds by then
 * (it may have been redefined or bound to a fn that loops).
 * Every other helper, and the registry's "def"/"eval" entries' callers, may
 * rely on nothing being collected while they run. A host that loads a patch
 * without the section (emcc's output of the C++ lowering, a seed-ABI patch)
 * calls jank_host_gc_in_calls(0), and the runtime then collects only
 * between calls. jank's own runtime (bdwgc under Emscripten) needs the same
 * promise for the same reason: wasm locals are invisible to any collector.
 */
#ifndef JANK_PATCH_ABI_H
#define JANK_PATCH_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JANK_HELPER(origin, throwing)

typedef void *jank_object_ref;
typedef char jank_bool;

/* jank's fns take at most this many fixed parameters (core/call.hpp
 * max_params); more is a compile error, as in jank. */
#define JANK_MAX_PARAMS 10

/* What jank's seed runtime (hot_reload.cpp) accepts: registry entries "N" of
 * arity 0..4, jank_call_var with at most 5 arguments and jank_make_fn_wrapper
 * of arity 0..3. A seed patch stays within these. */
#define JANK_SEED_REGISTRY_MAX_ARITY 4
#define JANK_SEED_CALL_VAR_MAX_ARGS 5
#define JANK_SEED_WRAPPER_MAX_ARITY 3

/* The first word of a patch frame's root area, and the most slots one
 * has (see "Collection inside calls"); 0x6A616E6B, "jank" in ASCII. */
#define JANK_FRAME_ROOTS_MAGIC 1784770155
#define JANK_FRAME_ROOTS_MAX_SLOTS 65536

typedef struct patch_symbol
{
  const char *qualified_name;
  const char *signature;
  void *fn_ptr;
} patch_symbol;

/* One arity of a fn object, as laid out by a patch in its data segment. */
typedef struct jank_arity
{
  int32_t param_count; /* fixed parameters, not counting self or rest */
  int32_t variadic;    /* 1 when the last wasm parameter is the rest seq */
  void *fn_ptr;        /* table index of void *f(void *self, ...) */
} jank_arity;

typedef struct jank_fn_desc
{
  const char *name; /* "ns/name" or "ns/fn" for anonymous fns */
  int32_t arity_count;
  jank_arity arities[];
} jank_fn_desc;

/* ---- seed: exported by jank's hot_reload.cpp today ---------------------- */

/* Boxes a 64-bit integer. */
JANK_HELPER(seed, nothrow) jank_object_ref jank_box_integer(int64_t value);
/* The integer inside a boxed integer; 0 for anything else. */
JANK_HELPER(seed, nothrow) int64_t jank_unbox_integer(jank_object_ref value);
/* Adds two boxed integers. */
JANK_HELPER(seed, throws) jank_object_ref jank_add_integers(jank_object_ref left, jank_object_ref right);
/* Boxes a double. */
JANK_HELPER(seed, nothrow) jank_object_ref jank_box_double(double value);
/* The double inside a boxed number (integers convert); 0.0 otherwise. */
JANK_HELPER(seed, nothrow) double jank_unbox_double(jank_object_ref value);
/* A string from NUL-terminated UTF-8. */
JANK_HELPER(seed, nothrow) jank_object_ref jank_make_string(const char *utf8);
/* The keyword :ns/name, or :name when ns is "". Keywords are interned. */
JANK_HELPER(seed, nothrow) jank_object_ref jank_make_keyword(const char *ns, const char *name);
/* The symbol ns/name, or name when ns is "". */
JANK_HELPER(seed, nothrow) jank_object_ref jank_make_symbol(const char *ns, const char *name);
/* A vector of the count values at elements. */
JANK_HELPER(seed, throws) jank_object_ref jank_make_vector(int count, void **elements);
/* A hash set of the count values at elements (duplicates collapse). */
JANK_HELPER(seed, throws) jank_object_ref jank_make_set(int count, void **elements);
/* Calls the var ns/name with argc arguments (the seed runtime allows up to
 * JANK_SEED_CALL_VAR_MAX_ARGS). */
JANK_HELPER(seed, throws) jank_object_ref jank_call_var(const char *ns, const char *name, int argc, void **args);
/* The root value of the var ns/name. */
JANK_HELPER(seed, throws) jank_object_ref jank_deref_var(const char *ns, const char *name);
/* clojure.core/println of argc values; returns nil. */
JANK_HELPER(seed, throws) jank_object_ref jank_println(int argc, void **args);
/* nil. */
JANK_HELPER(seed, nothrow) jank_object_ref jank_nil_value(void);
/* 0 for nil and false, 1 for every other value. */
JANK_HELPER(seed, nothrow) jank_bool jank_truthy(jank_object_ref value);
/* A fn object of fixed arity (seed runtime: 0..JANK_SEED_WRAPPER_MAX_ARITY)
 * around void *f(void *p0..). */
JANK_HELPER(seed, throws) jank_object_ref jank_make_fn_wrapper(void *fn_ptr, int arity);

/* ---- ext: values ---------------------------------------------------------- */

/* true when value is non-zero, else false. */
JANK_HELPER(ext, nothrow) jank_object_ref jank_box_boolean(int value);
/* A character from a Unicode scalar value. */
JANK_HELPER(ext, throws) jank_object_ref jank_make_char(int32_t codepoint);
/* A string from length bytes of UTF-8 (may contain NUL). */
JANK_HELPER(ext, nothrow) jank_object_ref jank_make_string_n(const char *utf8, int32_t length);
/* A regex pattern (java.util.regex syntax) from length bytes of UTF-8 source;
 * throws on a pattern that does not compile. The same source may give the same
 * pattern object. */
JANK_HELPER(ext, throws) jank_object_ref jank_make_regex(const char *source, int32_t length);
/* A java.util.UUID from its canonical text (8-4-4-4-12 hex digits, either
 * case, NUL-terminated); throws IllegalArgumentException on other text. */
JANK_HELPER(ext, throws) jank_object_ref jank_make_uuid(const char *text);
/* A list of the count values at elements. */
JANK_HELPER(ext, throws) jank_object_ref jank_make_list(int count, void **elements);
/* A map of count key/value pairs at elements (k0 v0 k1 v1 ...); insertion order kept up to 8 entries. */
JANK_HELPER(ext, throws) jank_object_ref jank_make_map(int pair_count, void **elements);
/* A clojure.lang.BigInt (`12N`) from NUL-terminated decimal digits with an
 * optional leading `-`; throws for anything else. jank's name and meaning. */
JANK_HELPER(ext, throws) jank_object_ref jank_big_integer_create(const char *digits);
/* A java.math.BigDecimal (`1.50M`) from NUL-terminated text in Java's
 * `new BigDecimal(String)` syntax (`-1.50`, `1e3`); throws for anything else.
 * jank's name and meaning. */
JANK_HELPER(ext, throws) jank_object_ref jank_big_decimal_create(const char *digits);
/* numerator/denominator (two integers, longs or BigInts) as Clojure's `/`
 * makes it: a normalised ratio, or a BigInt when it is integral; throws
 * "Divide by zero" for a zero denominator. jank's name and meaning. */
JANK_HELPER(ext, throws) jank_object_ref jank_ratio_create(jank_object_ref numerator, jank_object_ref denominator);

/* ---- ext: vars ------------------------------------------------------------ */

/* The var ns/name, created unbound when missing; the namespace too (as jank's
 * jank_var_intern_c). A var is itself a value (#'ns/name). */
JANK_HELPER(ext, nothrow) jank_object_ref jank_var_intern_c(const char *ns, const char *name);
/* The var's root; throws (returns NULL) when it is unbound. */
JANK_HELPER(ext, throws) jank_object_ref jank_var_deref(jank_object_ref var);
/* Sets the var's root to value; returns the var. */
JANK_HELPER(ext, throws) jank_object_ref jank_var_bind_root(jank_object_ref var, jank_object_ref value);
/* 1 when the var has a root value, else 0. */
JANK_HELPER(ext, nothrow) int jank_var_is_bound(jank_object_ref var);

/* ---- ext: fns and calls --------------------------------------------------- */

/* A fn object described by desc, closing over env_count values copied from env. */
JANK_HELPER(ext, throws) jank_object_ref jank_make_fn(const jank_fn_desc *desc, int32_t env_count, void **env);
/* The fn object's captured values: a writable array of the env_count slots it was made with. */
JANK_HELPER(ext, nothrow) void **jank_closure_env(jank_object_ref fn);
/* Calls any callable (fn, var, keyword, map, set, vector) with argc arguments. */
JANK_HELPER(ext, throws) jank_object_ref jank_call(jank_object_ref callable, int argc, void **args);
/* A safe point inside a call, where the runtime may collect (see
 * Collection); a patch calls it at every loop back-edge. */
JANK_HELPER(ext, nothrow) void jank_gc_poll(void);

/* Fn calls nested deeper than this throw java.lang.StackOverflowError. */
#define JANK_MAX_CALL_DEPTH 12000

/* How a patch may call a var's fn through the function table instead of
 * through jank_call: a record the runtime keeps current, so a call that reads
 * it after the var's root or thread bindings changed sees the new value.
 * When with_self[N] is not NULL, the var's value is fn, a fn whose fixed
 * arity of N parameters is the table entry `void *f(void *self, p0..pN-1)`,
 * called with fn as self; when plain[N] is not NULL, fn is a seed-style fn of
 * arity N, `void *f(p0..pN-1)`; at most one of them is set, neither when fn
 * is NULL. Calling that entry does what jank_call(var, N, args) does,
 * provided the caller counts the call: it calls jank_call instead when
 * *depth >= JANK_MAX_CALL_DEPTH (which throws the StackOverflowError), and
 * otherwise adds 1 to *depth before the call and puts the old count back
 * after it, whether it returned or threw (NULL, the exception pending). */
typedef struct jank_direct_calls
{
  uint32_t *depth;    /* fn calls now nested, shared by every record */
  jank_object_ref fn; /* the var's value, or NULL: call with jank_call */
  void *with_self[JANK_MAX_PARAMS + 1];
  void *plain[JANK_MAX_PARAMS + 1];
} jank_direct_calls;

/* The var's direct-call record, which lives as long as the var; never NULL
 * (a record whose fn stays NULL for anything but a var). */
JANK_HELPER(ext, nothrow) const jank_direct_calls *jank_var_direct_calls(jank_object_ref var);

/* ---- ext: exceptions ------------------------------------------------------ */

/* Makes value the pending exception and returns; the caller then unwinds
 * (returns NULL). Not jank's `void jank_throw(jank_object_ref)`, which
 * throws a C++ exception and never returns. */
JANK_HELPER(ext, nothrow) void jank_exception_set(jank_object_ref value);
/* Takes the pending exception (clearing it), for a catch clause. */
JANK_HELPER(ext, nothrow) jank_object_ref jank_exception_take(void);

/* ---- ext: what Clojure inlines (no var lookup, as clojure.core's :inline) */

JANK_HELPER(ext, throws) jank_object_ref jank_add(jank_object_ref left, jank_object_ref right);
JANK_HELPER(ext, throws) jank_object_ref jank_subtract(jank_object_ref left, jank_object_ref right);
JANK_HELPER(ext, throws) jank_object_ref jank_multiply(jank_object_ref left, jank_object_ref right);
JANK_HELPER(ext, throws) jank_object_ref jank_divide(jank_object_ref left, jank_object_ref right);
JANK_HELPER(ext, throws) jank_object_ref jank_inc(jank_object_ref value);
JANK_HELPER(ext, throws) jank_object_ref jank_dec(jank_object_ref value);
/* Comparisons return true or false, and throw for non-numbers. */
JANK_HELPER(ext, throws) jank_object_ref jank_less(jank_object_ref left, jank_object_ref right);
JANK_HELPER(ext, throws) jank_object_ref jank_less_equal(jank_object_ref left, jank_object_ref right);
JANK_HELPER(ext, throws) jank_object_ref jank_greater(jank_object_ref left, jank_object_ref right);
JANK_HELPER(ext, throws) jank_object_ref jank_greater_equal(jank_object_ref left, jank_object_ref right);
/* clojure.core/== */
JANK_HELPER(ext, throws) jank_object_ref jank_number_equal(jank_object_ref left, jank_object_ref right);
/* clojure.core/= : 1 when equal, else 0. Never throws. */
JANK_HELPER(ext, nothrow) int jank_equiv(jank_object_ref left, jank_object_ref right);

/* Small integers. A runtime may keep one box for each integer from
 * -JANK_SMALL_INT_LIMIT to JANK_SMALL_INT_LIMIT - 1, in one array in value
 * order, JANK_SMALL_INT_STRIDE bytes apart, and make every boxed integer of
 * that range one of them (like Java's Long cache). Then jank_small_ints
 * returns the box of 0, and a patch may compare two such boxes by address
 * and take a sum or difference that stays in the range by address arithmetic
 * (the box of n is at that address + n * JANK_SMALL_INT_STRIDE), which is
 * what the helpers above would answer. NULL: the runtime keeps no such array. */
#define JANK_SMALL_INT_LIMIT 128
#define JANK_SMALL_INT_STRIDE 32
JANK_HELPER(ext, nothrow) const void *jank_small_ints(void);

/* ---- host interface: what a loader (not a patch) uses ------------------- */
/*
 * A main module also exports `memory`, `__indirect_function_table` (growable,
 * no maximum), the mutable i32 global `__stack_pointer` (patches import it
 * for their argument arrays), and `malloc`, from which a loader reserves each
 * patch's mem_size bytes. The stub imports these functions from the host:
 *     (import "host" "write" (func (param i32 i32 i32)))   ;; fd, utf8, length
 * through which everything it prints goes (fd 1 stdout, fd 2 stderr),
 *     (import "host" "now" (func (result f64)))             ;; milliseconds
 * a monotonic clock (performance.now() on a page), which `time` and
 * System/nanoTime read,
 *     (import "host" "wall_clock" (func (result f64)))      ;; milliseconds
 * since 1970-01-01T00:00Z (Date.now() on a page), which
 * System/currentTimeMillis and `(java.util.Date.)` read, and
 *     (import "host" "exception_thrown" (func (param i32) (result i32)))  ;; the exception -> n
 *     (import "host" "exception_frames" (func (param i32)))                ;; where to copy them
 * The stub calls exception_thrown on every throw, while the frames that
 * threw are still on the stack, so the host can record the jank fns they run
 * (each patch's `jank.frames` custom section maps its functions to them). A
 * rethrow of the same exception calls it again; the first call's stack is
 * the deepest. The host answers the byte length n of those frames as text,
 * one `ns/name\tfile\tline\tcolumn\n` line per jank frame, innermost
 * first, at most 1024 of them (the JVM's default depth), or 0 when it has
 * nothing new (a rethrow it recorded); for n > 0 the stub calls
 * exception_frames with n bytes for the host to fill, and keeps the frames
 * as the trace of the exception object's first throw (`*e`'s, what
 * Throwable->map and clojure.stacktrace show), so a host that never answers
 * more than 0 leaves every trace empty.
 * Deep recursion: the stub throws java.lang.StackOverflowError (naming the fn)
 * when fn calls nest past 12,000, so a host whose wasm stack holds that many
 * simple levels (the harness gives wasm 6 MiB; its shadow stack is 8 MiB)
 * never sees a plain recursion trap. A trap skips the stub's count of nested
 * calls; the host's next jank_host_gc_safe_point or jank_host_gc_collect
 * between calls resets it.
 *
 * Effects (the `jank.browser` namespace, written over the native fn
 * `jankwasm.host/effect`) reach the host through two more imports:
 *     (import "host" "effect" (func (param i32 i32) (result i32)))  ;; request, length -> status
 *     (import "host" "effect_reply" (func (param i32)))              ;; where to copy the reply
 * The request is `[op & args]` in jank_host_encode's form, except that a fn
 * is tag 13 and its u32 address. The status is the reply's byte length n
 * (n >= 0: the reply is one nil, boolean, number or string in that form) or
 * -(n + 1) for a refusal whose UTF-8 message is n bytes long; the stub then
 * calls effect_reply with n bytes at the pointer for the host to fill. A host
 * without a browser refuses every op, saying so. Each fn of an accepted
 * request is retained once for the host (jank_host_retain), which releases it
 * when it will no longer call it, so registered callbacks stay alive. The
 * host calls them later, from its own event loop, with jank_call: never
 * inside the import.
 * Lines marked JANK_HOST are exported by the stub; patches never import them.
 */
#define JANK_HOST

/*
 * A runtime that implements the helpers in C or C++ (runtime-abi/conformance)
 * defines JANK_PATCH_ABI_RUNTIME before including this header: it takes malloc
 * from <stdlib.h>, whose size_t prototype conflicts in C with the i32 one
 * below, and it defines the host side itself.
 */
#ifndef JANK_PATCH_ABI_RUNTIME
/* Reserves size bytes, 16-byte aligned, never moved or freed. */
JANK_HOST void *malloc(int32_t size);
/* Runs one registry entry as described above; returns the bound or evaluated
 * value, or NULL when it threw (take the exception with jank_exception_take). */
JANK_HOST void *jank_hot_reload_register(const patch_symbol *entry);
/* The printed form of value (as pr-str), valid until the next call; NULL
 * with a pending exception when printing threw (a lazy seq failing). */
JANK_HOST const char *jank_host_pr_str(void *value, int32_t *length);
/* The printed form of value for display (as str), valid until the next
 * call; NULL with a pending exception when printing threw. */
JANK_HOST const char *jank_host_str(void *value, int32_t *length);
/* value in a compact binary form (tags, little-endian lengths and f64s;
 * runtime-abi/stub/src/encode.rs describes it), for a host reading data such
 * as a view's hiccup without printing and re-reading it; valid until the next
 * call; NULL with a pending exception when realizing a seq threw. */
JANK_HOST const uint8_t *jank_host_encode(void *value, int32_t *length);
/* Seeds the generator behind rand, shuffle and random-uuid. A host calls it
 * once after instantiating the stub, with 64 bits of entropy; without it
 * every runtime draws the same sequence. */
JANK_HOST void jank_host_seed_random(int64_t seed);
/* Lowers the limit of nested fn calls past which a call throws
 * java.lang.StackOverflowError from JANK_MAX_CALL_DEPTH to limit (clamped to
 * 1..JANK_MAX_CALL_DEPTH), for a host whose stack holds fewer levels (a
 * browser's); answers the limit in force. Only between calls. Patches still
 * compare with JANK_MAX_CALL_DEPTH: the runtime starts the count of
 * jank_direct_calls.depth at JANK_MAX_CALL_DEPTH - limit instead of 0. */
JANK_HOST int32_t jank_host_set_max_call_depth(int32_t limit);
#endif

/* ---- host interface: garbage collection --------------------------------- */
/*
 * The stub frees unreachable values only when the host asks, at a safe
 * point. A main module with a collector of its own (jank's) need not export
 * these; a loader calls them when they are present.
 *
 * A safe point is any moment between host-initiated calls: no patch function,
 * start function, constructor or runtime export is running. For a loader:
 * after a patch is instantiated and its registry entries have run (or after
 * each entry), and after each call the host makes into jank (an event
 * handler, an animation frame) once it has used the result. Not a safe
 * point: inside the host's `host.write` import, or between
 * jank_host_permanent_begin and _end (the stub refuses, returning -1).
 *
 * Roots: vars, permanent objects, the pending exception and retained values,
 * and everything they reach. A value the host got back (from jank_call, a
 * box helper, a registry entry) is otherwise valid only until the next safe
 * point: print it, or retain it, before that. Since a call into jank may
 * collect (see "Collection inside calls"), that includes the host's next
 * jank_call or registry entry: a value the host keeps across one must be
 * retained, or be one of that call's arguments.
 *
 * A patch keeps its constants and var handles in its own wasm globals, which
 * the collector cannot see, so the host brackets everything that runs while a
 * patch loads (instantiation, which runs its start function, and
 * __wasm_call_ctors) with jank_host_permanent_begin/_end: objects made
 * inside a bracket are never freed.
 */

/* What jank_host_gc_stats reports. */
typedef struct jank_gc_stats
{
  uint32_t collections;       /* collections completed */
  uint32_t objects;           /* collectable objects, uncollected garbage included */
  uint32_t permanent_objects; /* objects that are never freed */
  uint32_t freed_last;        /* objects the last collection freed */
  uint32_t retained;          /* distinct values retained by the host */
  uint32_t heap_bytes;        /* bytes the allocator has handed out and not got back */
} jank_gc_stats;

/* Objects made from now until the matching _end are permanent. Brackets nest. */
JANK_HOST void jank_host_permanent_begin(void);
JANK_HOST void jank_host_permanent_end(void);
/* Collects at a safe point; returns the number of objects freed, or -1 when
 * it is not a safe point (nothing is freed then). */
JANK_HOST int32_t jank_host_gc_collect(void);
/* What to call at every safe point: collects only when the heap has grown by
 * its size after the last collection (and by at least 1 MiB) since then, so
 * calling it every frame is cheap. Returns objects freed (0 when it did not
 * collect), or -1 when it is not a safe point. */
JANK_HOST int32_t jank_host_gc_safe_point(void);
/* Keeps value alive across safe points until as many jank_host_release calls;
 * returns value. */
JANK_HOST void *jank_host_retain(void *value);
JANK_HOST void jank_host_release(void *value);
/* The collector's figures, in a buffer valid until the next call. */
JANK_HOST const jank_gc_stats *jank_host_gc_stats(void);
/* Stress mode on (non-zero) or off: every safe point, between calls or
 * inside one, collects, and a collected object becomes the symbol
 * jankwasm.gc/collected-object instead of being freed, so a reference the
 * collector missed shows in the program's output. For tests. */
JANK_HOST void jank_host_gc_stress(int32_t on);
/* Whether the runtime may collect inside calls (non-zero, the default) or
 * only between them. A host turns it off for good once it loads a patch
 * without the `jank.frame_roots` section. */
JANK_HOST void jank_host_gc_in_calls(int32_t on);
/* Out of memory: an allocation the runtime could not satisfy (linear memory
 * cannot grow) traps right after it. A host seeing a trap calls this: NULL
 * when no allocation failed since the last call, else two uint32_t, the
 * bytes requested and the bytes then in use, in a buffer valid until the
 * next call; it allocates nothing. The host reports "out of memory: N bytes
 * requested, M in use", and the next safe point frees what the call made. */
JANK_HOST const uint32_t *jank_host_out_of_memory(void);

#ifdef __cplusplus
}
#endif

#endif
