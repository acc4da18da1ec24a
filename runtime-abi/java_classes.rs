//! The JVM classes and interfaces jankwasm's values stand for, shared by the
//! compiler (a class name such as `clojure.lang.LazySeq` or `Long` evaluates
//! to the class) and the stub runtime (`class`, `type`, `instance?`). Clojure
//! code tests values against these names; a name not listed here is not a
//! class to jankwasm, and the compiler refuses it as interop.

/// One class: its full name and every class and interface it extends or
/// implements, transitively (`java.lang.Object` is implied for all), in
/// groups that classes share.
pub struct JavaClass {
    pub name: &'static str,
    pub supers: &'static [&'static [&'static str]],
}

impl JavaClass {
    fn all_supers(&self) -> impl Iterator<Item = &'static str> {
        self.supers.iter().flat_map(|group| group.iter().copied())
    }
}

const NUMBER: &[&str] = &["java.lang.Number", "java.lang.Comparable"];
/// What every persistent collection and seq is.
const COLLECTION: &[&str] = &[
    "clojure.lang.IPersistentCollection",
    "clojure.lang.Seqable",
    "clojure.lang.IObj",
    "clojure.lang.IMeta",
    "clojure.lang.IHashEq",
    "java.lang.Iterable",
];
const SEQ: &[&str] = &[
    "clojure.lang.ASeq",
    "clojure.lang.ISeq",
    "clojure.lang.Sequential",
    "java.util.List",
    "java.util.Collection",
];
const LIST: &[&str] = &[
    "clojure.lang.IPersistentList",
    "clojure.lang.IPersistentStack",
    "clojure.lang.Counted",
];
const MAP: &[&str] = &[
    "clojure.lang.APersistentMap",
    "clojure.lang.IPersistentMap",
    "clojure.lang.Associative",
    "clojure.lang.ILookup",
    "clojure.lang.Counted",
    "clojure.lang.IFn",
    "java.util.Map",
];
const SET: &[&str] = &[
    "clojure.lang.APersistentSet",
    "clojure.lang.IPersistentSet",
    "clojure.lang.Counted",
    "clojure.lang.IFn",
    "java.util.Set",
    "java.util.Collection",
];
/// What both kinds of vector are (a MapEntry has no metadata and no transient).
const VECTOR: &[&str] = &[
    "clojure.lang.APersistentVector",
    "clojure.lang.IPersistentVector",
    "clojure.lang.Associative",
    "clojure.lang.ILookup",
    "clojure.lang.Sequential",
    "clojure.lang.IPersistentStack",
    "clojure.lang.Reversible",
    "clojure.lang.Indexed",
    "clojure.lang.Counted",
    "clojure.lang.IFn",
    "clojure.lang.IPersistentCollection",
    "clojure.lang.Seqable",
    "clojure.lang.IHashEq",
    "java.util.List",
    "java.util.RandomAccess",
    "java.util.Collection",
    "java.lang.Iterable",
    "java.lang.Comparable",
];
const COUNTED: &[&str] = &["clojure.lang.Counted"];
const EDITABLE: &[&str] = &["clojure.lang.IEditableCollection"];
const SORTED: &[&str] = &["clojure.lang.Sorted", "clojure.lang.Reversible"];
const FN: &[&str] = &[
    "clojure.lang.AFn",
    "clojure.lang.IFn",
    "clojure.lang.Fn",
    "clojure.lang.IObj",
    "clojure.lang.IMeta",
    "java.lang.Runnable",
    "java.util.concurrent.Callable",
];
const EXCEPTION: &[&str] = &["java.lang.Exception", "java.lang.Throwable"];
const RUNTIME_EXCEPTION: &[&str] = &["java.lang.RuntimeException"];
const ILLEGAL_ARGUMENT: &[&str] = &["java.lang.IllegalArgumentException"];
const ILLEGAL_FORMAT: &[&str] = &["java.util.IllegalFormatException"];
const ERROR: &[&str] = &["java.lang.Error", "java.lang.Throwable"];
const VIRTUAL_MACHINE_ERROR: &[&str] = &["java.lang.VirtualMachineError"];

/// Every class jankwasm knows, values' classes first.
pub const CLASSES: &[JavaClass] = &[
    JavaClass {
        name: "java.lang.Boolean",
        supers: &[&["java.lang.Comparable"]],
    },
    JavaClass {
        name: "java.lang.Long",
        supers: &[NUMBER],
    },
    JavaClass {
        name: "java.lang.Double",
        supers: &[NUMBER],
    },
    JavaClass {
        name: "clojure.lang.BigInt",
        supers: &[&["java.lang.Number"]],
    },
    JavaClass {
        name: "java.math.BigInteger",
        supers: &[NUMBER],
    },
    JavaClass {
        name: "clojure.lang.Ratio",
        supers: &[NUMBER],
    },
    JavaClass {
        name: "java.math.BigDecimal",
        supers: &[NUMBER],
    },
    JavaClass {
        name: "java.lang.Character",
        supers: &[&["java.lang.Comparable"]],
    },
    JavaClass {
        name: "java.lang.String",
        supers: &[&["java.lang.CharSequence", "java.lang.Comparable"]],
    },
    JavaClass {
        name: "java.lang.StringBuilder",
        supers: &[&[
            "java.lang.CharSequence",
            "java.lang.Appendable",
            "java.lang.Comparable",
        ]],
    },
    JavaClass {
        name: "clojure.lang.Keyword",
        supers: &[&[
            "clojure.lang.IFn",
            "clojure.lang.Named",
            "java.lang.Comparable",
        ]],
    },
    JavaClass {
        name: "clojure.lang.Symbol",
        supers: &[&[
            "clojure.lang.AFn",
            "clojure.lang.IFn",
            "clojure.lang.Named",
            "clojure.lang.IObj",
            "clojure.lang.IMeta",
            "java.lang.Comparable",
        ]],
    },
    JavaClass {
        name: "clojure.lang.PersistentList$EmptyList",
        supers: &[COLLECTION, SEQ, LIST],
    },
    JavaClass {
        name: "clojure.lang.PersistentList",
        supers: &[COLLECTION, SEQ, LIST],
    },
    JavaClass {
        name: "clojure.lang.Cons",
        supers: &[COLLECTION, SEQ],
    },
    JavaClass {
        name: "clojure.lang.PersistentVector",
        supers: &[
            VECTOR,
            &[
                "clojure.lang.IObj",
                "clojure.lang.IMeta",
                "clojure.lang.IEditableCollection",
            ],
        ],
    },
    JavaClass {
        name: "clojure.lang.MapEntry",
        supers: &[
            VECTOR,
            &[
                "clojure.lang.AMapEntry",
                "clojure.lang.IMapEntry",
                "java.util.Map$Entry",
            ],
        ],
    },
    JavaClass {
        name: "clojure.lang.PersistentArrayMap",
        supers: &[COLLECTION, MAP, EDITABLE],
    },
    JavaClass {
        name: "clojure.lang.PersistentHashMap",
        supers: &[COLLECTION, MAP, EDITABLE],
    },
    JavaClass {
        name: "clojure.lang.PersistentTreeMap",
        supers: &[COLLECTION, MAP, SORTED],
    },
    JavaClass {
        name: "clojure.lang.PersistentHashSet",
        supers: &[COLLECTION, SET, EDITABLE],
    },
    JavaClass {
        name: "clojure.lang.PersistentTreeSet",
        supers: &[COLLECTION, SET, SORTED],
    },
    JavaClass {
        name: "clojure.lang.PersistentVector$ChunkedSeq",
        supers: &[COLLECTION, SEQ, COUNTED],
    },
    JavaClass {
        name: "clojure.lang.ArraySeq",
        supers: &[COLLECTION, SEQ, COUNTED],
    },
    JavaClass {
        name: "clojure.lang.StringSeq",
        supers: &[COLLECTION, SEQ, COUNTED],
    },
    JavaClass {
        name: "clojure.lang.LongRange",
        supers: &[COLLECTION, SEQ, COUNTED],
    },
    JavaClass {
        name: "clojure.lang.PersistentQueue",
        supers: &[
            COLLECTION,
            &[
                "clojure.lang.IPersistentList",
                "clojure.lang.IPersistentStack",
                "clojure.lang.Sequential",
                "clojure.lang.Counted",
                "java.util.Collection",
            ],
        ],
    },
    JavaClass {
        name: "clojure.lang.PersistentQueue$Seq",
        supers: &[COLLECTION, SEQ],
    },
    JavaClass {
        name: "clojure.lang.LazySeq",
        supers: &[&[
            "clojure.lang.ISeq",
            "clojure.lang.Seqable",
            "clojure.lang.Sequential",
            "clojure.lang.IPersistentCollection",
            "clojure.lang.IPending",
            "clojure.lang.IObj",
            "clojure.lang.IMeta",
            "clojure.lang.IHashEq",
            "java.util.List",
            "java.util.Collection",
            "java.lang.Iterable",
        ]],
    },
    JavaClass {
        name: "clojure.lang.AFunction",
        supers: &[FN],
    },
    JavaClass {
        name: "clojure.lang.MultiFn",
        supers: &[FN],
    },
    JavaClass {
        name: "clojure.lang.Var",
        supers: &[&[
            "clojure.lang.ARef",
            "clojure.lang.IRef",
            "clojure.lang.IDeref",
            "clojure.lang.IFn",
            "clojure.lang.IMeta",
        ]],
    },
    JavaClass {
        name: "clojure.lang.Atom",
        supers: &[&[
            "clojure.lang.ARef",
            "clojure.lang.IAtom",
            "clojure.lang.IRef",
            "clojure.lang.IDeref",
            "clojure.lang.IMeta",
            "clojure.lang.IReference",
        ]],
    },
    JavaClass {
        name: "clojure.lang.Ref",
        supers: &[&[
            "clojure.lang.ARef",
            "clojure.lang.IRef",
            "clojure.lang.IDeref",
            "clojure.lang.IMeta",
            "clojure.lang.IReference",
        ]],
    },
    JavaClass {
        name: "clojure.lang.Volatile",
        supers: &[&["clojure.lang.IDeref"]],
    },
    JavaClass {
        name: "clojure.lang.ATransientCollection",
        supers: &[&["clojure.lang.ITransientCollection", "clojure.lang.Counted"]],
    },
    JavaClass {
        name: "clojure.lang.Reduced",
        supers: &[&["clojure.lang.IDeref"]],
    },
    JavaClass {
        name: "clojure.lang.Delay",
        supers: &[&["clojure.lang.IDeref", "clojure.lang.IPending"]],
    },
    JavaClass {
        name: "clojure.core$promise$reify",
        supers: &[&[
            "clojure.lang.IDeref",
            "clojure.lang.IPending",
            "clojure.lang.IFn",
        ]],
    },
    JavaClass {
        name: "java.util.regex.Pattern",
        supers: &[],
    },
    JavaClass {
        name: "java.util.regex.Matcher",
        supers: &[],
    },
    JavaClass {
        name: "clojure.lang.Namespace",
        supers: &[&["clojure.lang.IReference", "clojure.lang.IMeta"]],
    },
    JavaClass {
        name: "java.lang.Throwable",
        supers: &[],
    },
    JavaClass {
        name: "java.lang.Exception",
        supers: &[&["java.lang.Throwable"]],
    },
    JavaClass {
        name: "java.lang.RuntimeException",
        supers: &[EXCEPTION],
    },
    JavaClass {
        name: "clojure.lang.ExceptionInfo",
        supers: &[
            &["clojure.lang.IExceptionInfo"],
            RUNTIME_EXCEPTION,
            EXCEPTION,
        ],
    },
    JavaClass {
        name: "clojure.lang.ArityException",
        supers: &[ILLEGAL_ARGUMENT, RUNTIME_EXCEPTION, EXCEPTION],
    },
    JavaClass {
        name: "java.lang.ArithmeticException",
        supers: &[RUNTIME_EXCEPTION, EXCEPTION],
    },
    JavaClass {
        name: "java.lang.ClassCastException",
        supers: &[RUNTIME_EXCEPTION, EXCEPTION],
    },
    JavaClass {
        name: "java.lang.IllegalArgumentException",
        supers: &[RUNTIME_EXCEPTION, EXCEPTION],
    },
    JavaClass {
        name: "java.lang.IllegalStateException",
        supers: &[RUNTIME_EXCEPTION, EXCEPTION],
    },
    JavaClass {
        name: "java.lang.IndexOutOfBoundsException",
        supers: &[RUNTIME_EXCEPTION, EXCEPTION],
    },
    JavaClass {
        name: "java.lang.StringIndexOutOfBoundsException",
        supers: &[
            &["java.lang.IndexOutOfBoundsException"],
            RUNTIME_EXCEPTION,
            EXCEPTION,
        ],
    },
    JavaClass {
        name: "java.lang.NegativeArraySizeException",
        supers: &[RUNTIME_EXCEPTION, EXCEPTION],
    },
    JavaClass {
        name: "java.lang.NullPointerException",
        supers: &[RUNTIME_EXCEPTION, EXCEPTION],
    },
    JavaClass {
        name: "java.lang.UnsupportedOperationException",
        supers: &[RUNTIME_EXCEPTION, EXCEPTION],
    },
    JavaClass {
        name: "java.lang.NumberFormatException",
        supers: &[ILLEGAL_ARGUMENT, RUNTIME_EXCEPTION, EXCEPTION],
    },
    JavaClass {
        name: "java.util.regex.PatternSyntaxException",
        supers: &[ILLEGAL_ARGUMENT, RUNTIME_EXCEPTION, EXCEPTION],
    },
    JavaClass {
        name: "java.util.IllegalFormatException",
        supers: &[ILLEGAL_ARGUMENT, RUNTIME_EXCEPTION, EXCEPTION],
    },
    JavaClass {
        name: "java.util.FormatFlagsConversionMismatchException",
        supers: &[
            ILLEGAL_FORMAT,
            ILLEGAL_ARGUMENT,
            RUNTIME_EXCEPTION,
            EXCEPTION,
        ],
    },
    JavaClass {
        name: "java.util.IllegalFormatConversionException",
        supers: &[
            ILLEGAL_FORMAT,
            ILLEGAL_ARGUMENT,
            RUNTIME_EXCEPTION,
            EXCEPTION,
        ],
    },
    JavaClass {
        name: "java.util.IllegalFormatPrecisionException",
        supers: &[
            ILLEGAL_FORMAT,
            ILLEGAL_ARGUMENT,
            RUNTIME_EXCEPTION,
            EXCEPTION,
        ],
    },
    JavaClass {
        name: "java.util.MissingFormatArgumentException",
        supers: &[
            ILLEGAL_FORMAT,
            ILLEGAL_ARGUMENT,
            RUNTIME_EXCEPTION,
            EXCEPTION,
        ],
    },
    JavaClass {
        name: "java.util.MissingFormatWidthException",
        supers: &[
            ILLEGAL_FORMAT,
            ILLEGAL_ARGUMENT,
            RUNTIME_EXCEPTION,
            EXCEPTION,
        ],
    },
    JavaClass {
        name: "java.util.UnknownFormatConversionException",
        supers: &[
            ILLEGAL_FORMAT,
            ILLEGAL_ARGUMENT,
            RUNTIME_EXCEPTION,
            EXCEPTION,
        ],
    },
    JavaClass {
        name: "java.io.IOException",
        supers: &[EXCEPTION],
    },
    JavaClass {
        name: "java.io.FileNotFoundException",
        supers: &[&["java.io.IOException"], EXCEPTION],
    },
    JavaClass {
        name: "java.lang.Error",
        supers: &[&["java.lang.Throwable"]],
    },
    JavaClass {
        name: "java.lang.AssertionError",
        supers: &[ERROR],
    },
    JavaClass {
        name: "java.lang.IllegalAccessError",
        supers: &[&[
            "java.lang.IncompatibleClassChangeError",
            "java.lang.LinkageError",
            "java.lang.Error",
            "java.lang.Throwable",
        ]],
    },
    JavaClass {
        name: "java.lang.StackOverflowError",
        supers: &[VIRTUAL_MACHINE_ERROR, ERROR],
    },
    JavaClass {
        name: "java.lang.OutOfMemoryError",
        supers: &[VIRTUAL_MACHINE_ERROR, ERROR],
    },
    JavaClass {
        name: "java.lang.Object",
        supers: &[],
    },
    // Classes no jankwasm value has (its integers are Longs, as Clojure reads
    // them): testing against them is false, as on the JVM for such values.
    JavaClass {
        name: "java.lang.Integer",
        supers: &[NUMBER],
    },
    JavaClass {
        name: "java.lang.Short",
        supers: &[NUMBER],
    },
    JavaClass {
        name: "java.lang.Byte",
        supers: &[NUMBER],
    },
    JavaClass {
        name: "java.lang.Float",
        supers: &[NUMBER],
    },
    JavaClass {
        name: "java.util.UUID",
        supers: &[&["java.lang.Comparable"]],
    },
    JavaClass {
        name: "java.util.Date",
        supers: &[&["java.lang.Comparable"]],
    },
    JavaClass {
        name: "java.io.OutputStreamWriter",
        supers: &[WRITER],
    },
    JavaClass {
        name: "java.io.PrintWriter",
        supers: &[WRITER],
    },
    JavaClass {
        name: "clojure.lang.LineNumberingPushbackReader",
        supers: &[&[
            "java.io.PushbackReader",
            "java.io.FilterReader",
            "java.io.Reader",
            "java.lang.Readable",
            "java.io.Closeable",
            "java.lang.AutoCloseable",
        ]],
    },
    JavaClass {
        name: "clojure.lang.PersistentStructMap$Def",
        supers: &[],
    },
    JavaClass {
        name: "clojure.lang.LispReader$ReaderException",
        supers: &[
            RUNTIME_EXCEPTION,
            &["clojure.lang.IExceptionInfo"],
            EXCEPTION,
        ],
    },
    JavaClass {
        name: "clojure.lang.TaggedLiteral",
        supers: &[&["clojure.lang.ILookup"]],
    },
    JavaClass {
        name: "clojure.lang.ReaderConditional",
        supers: &[&["clojure.lang.ILookup"]],
    },
];

/// What `*out*` and `*err*` are.
const WRITER: &[&str] = &[
    "java.io.Writer",
    "java.lang.Appendable",
    "java.io.Closeable",
    "java.io.Flushable",
    "java.lang.AutoCloseable",
];

/// What a record (`defrecord`) is besides its own class.
pub const RECORD_SUPERS: &[&str] = &[
    "clojure.lang.IRecord",
    "clojure.lang.IPersistentMap",
    "clojure.lang.Associative",
    "clojure.lang.ILookup",
    "clojure.lang.Counted",
    "clojure.lang.IPersistentCollection",
    "clojure.lang.Seqable",
    "clojure.lang.IObj",
    "clojure.lang.IMeta",
    "clojure.lang.IHashEq",
    "java.util.Map",
    "java.lang.Iterable",
];

/// What a type (`deftype`) is besides its own class.
pub const TYPE_SUPERS: &[&str] = &["clojure.lang.IType"];

/// What a `reify` is besides its own class.
pub const REIFY_SUPERS: &[&str] = &["clojure.lang.IObj", "clojure.lang.IMeta"];

/// A Java interface (or `Object`) whose methods a `deftype`, `defrecord` or
/// `reify` may implement inline: the runtime keeps them as a protocol,
/// `jank.runtime.host/<protocol>`, and consults it where Clojure calls the
/// method (`str` and printing for toString, `deref`, `get` and keyword
/// lookup for valAt, `count`, calling the value for invoke).
pub struct HostInterface {
    pub class: &'static str,
    pub protocol: &'static str,
    /// The methods the runtime calls; implementing another is a compile
    /// error, never a method silently left uncalled.
    pub methods: &'static [&'static str],
}

/// The namespace of the host interfaces' protocols.
pub const HOST_INTERFACE_NS: &str = "jank.runtime.host";

pub const HOST_INTERFACES: &[HostInterface] = &[
    HostInterface {
        class: "java.lang.Object",
        protocol: "Object",
        methods: &["toString", "equals", "hashCode"],
    },
    HostInterface {
        class: "clojure.lang.IDeref",
        protocol: "IDeref",
        methods: &["deref"],
    },
    HostInterface {
        class: "clojure.lang.ILookup",
        protocol: "ILookup",
        methods: &["valAt"],
    },
    HostInterface {
        class: "clojure.lang.Counted",
        protocol: "Counted",
        methods: &["count"],
    },
    HostInterface {
        class: "clojure.lang.IFn",
        protocol: "IFn",
        methods: &["invoke"],
    },
];

/// The host interface the class `written` names, if it is one.
pub fn host_interface(written: &str) -> Option<&'static HostInterface> {
    let class = resolve(written)?;
    HOST_INTERFACES
        .iter()
        .find(|interface| interface.class == class)
}

/// The full name `written` stands for: itself when it names a known class or
/// interface, or `java.lang.` + it for a short name Clojure imports by default
/// (`String`, `Long`, `Exception`).
pub fn resolve(written: &str) -> Option<&'static str> {
    let known = |full: &str| -> Option<&'static str> {
        CLASSES
            .iter()
            .map(|class| class.name)
            .chain(CLASSES.iter().flat_map(JavaClass::all_supers))
            .chain(RECORD_SUPERS.iter().chain(TYPE_SUPERS).copied())
            .find(|name| *name == full)
    };
    if written.contains('.') {
        known(written)
    } else {
        known(&format!("java.lang.{written}"))
    }
}

/// The classes a value of class `actual` is an instance of, nearest first:
/// itself, its supers in table order, then java.lang.Object (what protocol
/// dispatch searches).
pub fn lineage(actual: &'static str) -> impl Iterator<Item = &'static str> {
    let supers = CLASSES
        .iter()
        .find(|known| known.name == actual)
        .into_iter()
        .flat_map(JavaClass::all_supers);
    std::iter::once(actual)
        .chain(supers)
        .filter(|name| *name != "java.lang.Object")
        .chain(std::iter::once("java.lang.Object"))
}

/// Whether a value of class `actual` is an instance of `class`.
pub fn is_instance(class: &str, actual: &str) -> bool {
    class == actual
        || class == "java.lang.Object"
        || CLASSES
            .iter()
            .find(|known| known.name == actual)
            .is_some_and(|known| known.all_supers().any(|name| name == class))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lineage_runs_from_the_class_to_object() {
        let entry: Vec<_> = lineage("clojure.lang.MapEntry").collect();
        assert_eq!(entry.first(), Some(&"clojure.lang.MapEntry"));
        assert!(entry.contains(&"clojure.lang.IPersistentVector"));
        assert_eq!(entry.last(), Some(&"java.lang.Object"));
        assert_eq!(
            lineage("java.lang.Object").collect::<Vec<_>>(),
            ["java.lang.Object"]
        );
    }

    #[test]
    fn short_names_are_java_lang() {
        assert_eq!(resolve("Long"), Some("java.lang.Long"));
        assert_eq!(resolve("Throwable"), Some("java.lang.Throwable"));
        assert_eq!(resolve("Comparable"), Some("java.lang.Comparable"));
        assert_eq!(resolve("LazySeq"), None);
        assert_eq!(resolve("clojure.lang.ISeq"), Some("clojure.lang.ISeq"));
        assert_eq!(resolve("java.io.File"), None);
        assert_eq!(
            resolve("clojure.lang.IPending"),
            Some("clojure.lang.IPending")
        );
    }

    #[test]
    fn instances_follow_the_hierarchy() {
        assert!(is_instance("java.lang.Number", "java.lang.Long"));
        assert!(is_instance("clojure.lang.IPending", "clojure.lang.LazySeq"));
        assert!(is_instance(
            "java.lang.Exception",
            "clojure.lang.ExceptionInfo"
        ));
        assert!(!is_instance(
            "java.lang.Exception",
            "java.lang.StackOverflowError"
        ));
        assert!(is_instance("java.lang.Object", "clojure.lang.Keyword"));
        assert!(!is_instance(
            "java.util.Map",
            "clojure.lang.PersistentVector"
        ));
        assert!(is_instance(
            "java.lang.RuntimeException",
            "java.util.UnknownFormatConversionException"
        ));
        assert!(is_instance(
            "java.lang.Exception",
            "java.io.FileNotFoundException"
        ));
    }

    /// Every exception class the stub runtime throws is in the table: a
    /// `catch` tests the thrown class against it, and a class missing there
    /// would escape `(catch Exception e ...)`.
    #[test]
    fn every_class_the_stub_throws_is_known() {
        fn sources(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir)
                .expect("the stub's sources")
                .flatten()
            {
                let path = entry.path();
                if path.is_dir() {
                    sources(&path, found);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    found.push(path);
                }
            }
        }
        let mut files = Vec::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("stub/src"),
            &mut files,
        );
        assert!(files.len() > 10, "the stub's sources: {files:?}");
        let mut unknown = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a source file");
            for quoted in text.split('"').skip(1).step_by(2) {
                let is_class_name = quoted.contains('.')
                    && !quoted.contains(' ')
                    && (quoted.ends_with("Exception") || quoted.ends_with("Error"));
                if is_class_name && !CLASSES.iter().any(|c| c.name == quoted) {
                    unknown.push(format!("{}: {quoted}", file.display()));
                }
            }
        }
        assert_eq!(unknown, Vec::<String>::new());
    }
}
