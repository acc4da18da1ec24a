;; The JVM oracle for tests/corpus/ok: runs every program in ONE JVM, each in
;; a fresh `user` namespace, capturing what it prints.
;;
;;   clojure tests/corpus/oracle.clj tests/corpus/ok [FILE...]          write the .out files
;;   clojure tests/corpus/oracle.clj --check tests/corpus/ok [FILE...]  compare with the .out files
;;   clojure tests/corpus/oracle.clj --rejected tests/corpus/rejected [FILE...]
;;
;; FILE is a program's name (042-str-subs.jank) or path; without FILEs, every
;; .jank file in the directory. Exit status 1 if any program failed (threw,
;; timed out, printed to *err*, or printed something other than its .out file
;; in --check mode).
;;
;; --rejected: every program must fail on the JVM too (reading, compiling or
;; loading), except the NNN-by-design-* ones, which are valid Clojure that
;; jankwasm rejects on purpose and must load cleanly; prints each JVM message.
(ns corpus.oracle
  (:require [clojure.java.io :as io]
            [clojure.set]
            [clojure.string :as string]
            [clojure.test]))

(def timeout-ms 20000)

(defn- fresh-user-ns []
  (remove-ns 'user)
  (let [n (create-ns 'user)]
    (binding [*ns* n] (refer 'clojure.core))
    n))

(defn- run-program
  "Evaluates the program at path in a fresh `user` namespace.
  Returns {:out printed} or {:out printed-so-far :error description}."
  [path]
  (let [before (set (all-ns))
        writer (java.io.StringWriter.)
        errors (java.io.StringWriter.)
        task (future
               (binding [*ns* (fresh-user-ns)
                         *out* writer
                         ;; clojure.test prints to *test-out*, which it bound
                         ;; to the *out* of whoever loaded it first.
                         clojure.test/*test-out* writer
                         *err* errors
                         *print-length* nil
                         *print-level* nil
                         *print-meta* false
                         *print-dup* false
                         ;; bound by clojure.main around a script (`set!` works), which
                         ;; gets no arguments
                         *math-context* nil
                         *command-line-args* nil
                         ;; as clojure.main binds it around a script and the REPL
                         *print-namespace-maps* true]
                 (try
                   (load-file path)
                   nil
                   (catch Throwable t
                     (let [cause (or (ex-cause t) t)]
                       (str (.getName (class cause)) ": " (ex-message cause)))))))
        result (deref task timeout-ms ::timeout)]
    (when (= result ::timeout) (future-cancel task))
    (doseq [n (all-ns)
            :when (and (not (before n))
                       (not= (ns-name n) 'user)
                       ;; a library a program required stays loaded
                       (not (contains? @@#'clojure.core/*loaded-libs* (ns-name n))))]
      (remove-ns (ns-name n)))
    (cond-> {:out (str writer)}
      (= result ::timeout) (assoc :error (str "timed out after " timeout-ms " ms"))
      (string? result) (assoc :error result)
      ;; e.g. a warning that a def replaces a clojure.core var: jankwasm would not print it
      (and (nil? result) (seq (str errors))) (assoc :error (str "printed to *err*: " (pr-str (str errors)))))))

(defn- first-difference [expected actual]
  (let [e (string/split expected #"\n" -1)
        a (string/split actual #"\n" -1)
        i (or (first (keep-indexed (fn [i [x y]] (when (not= x y) i)) (map vector e (concat a (repeat nil)))))
              (count e))]
    (str "  first difference at line " (inc i) ":\n"
         "    expected: " (pr-str (get e i)) "\n"
         "    actual:   " (pr-str (get a i)))))

(defn- programs [dir names]
  (if (seq names)
    (map (fn [n] (let [f (io/file n)]
                   (if (.exists f) f (io/file dir (.getName f)))))
         names)
    (->> (.listFiles (io/file dir))
         (filter #(string/ends-with? (.getName ^java.io.File %) ".jank"))
         (sort-by #(.getName ^java.io.File %)))))

(defn- out-file [^java.io.File f]
  (io/file (.getParentFile f) (string/replace (.getName f) #"\.jank$" ".out")))

(defn- check-rejected [dir names]
  (let [results (doall
                 (for [f (programs dir names)]
                   (let [name (.getName ^java.io.File f)
                         by-design? (string/includes? name "-by-design-")
                         {:keys [error]} (run-program (.getPath ^java.io.File f))
                         message (some-> error (string/replace #"\s+" " "))
                         ok? (if by-design? (nil? error) (some? error))]
                     (println (if ok? "ok  " "FAIL") name "--"
                              (cond error message
                                    by-design? "valid Clojure, as intended"
                                    :else "the JVM ran it without an error"))
                     ok?)))
        failed (count (remove true? results))]
    (println (str (- (count results) failed) " passed, " failed " failed"))
    (shutdown-agents)
    (System/exit (if (zero? failed) 0 1))))

(defn -main [& args]
  (when (some #{"--rejected"} args)
    (let [[dir & names] (remove #{"--rejected"} args)]
      (check-rejected dir names)))
  (let [check? (some #{"--check"} args)
        [dir & names] (remove #{"--check"} args)
        _ (when-not dir
            (println "usage: clojure oracle.clj [--check] DIR [FILE...]")
            (System/exit 2))
        started (System/nanoTime)
        results (doall
                 (for [f (programs dir names)]
                   (let [name (.getName ^java.io.File f)
                         {:keys [out error]} (run-program (.getPath ^java.io.File f))
                         outf (out-file f)]
                     (cond
                       error
                       (do (println "FAIL" name "--" error)
                           (when (seq out) (println "  printed before that:" (pr-str out)))
                           false)

                       check?
                       (let [expected (when (.exists outf) (slurp outf))]
                         (cond
                           (nil? expected) (do (println "FAIL" name "-- no" (.getName outf)) false)
                           (= expected out) true
                           :else (do (println "FAIL" name "-- output differs")
                                     (println (first-difference expected out))
                                     false)))

                       :else
                       (do (spit outf out) true)))))
        passed (count (filter true? results))
        failed (count (remove true? results))
        ms (quot (- (System/nanoTime) started) 1000000)]
    (println (str passed " " (if check? "passed" "written") ", " failed " failed (" ms " ms)"))
    (shutdown-agents)
    (System/exit (if (zero? failed) 0 1))))

(apply -main *command-line-args*)
