;; Prints, for each line of the file named by its argument (one Clojure form
;; a line), the pr-str of the line and of what Clojure 1.11 made of it: its
;; output, then "=> " and the pr-str of its value, or "!! <exception class>:
;; <message>". Append the output to clojure_cases.txt:
;;   clojure oracle.clj new-cases.txt >> clojure_cases.txt
(require 'clojure.set 'clojure.string)
(doseq [line (line-seq (clojure.java.io/reader (first *command-line-args*)))]
  (let [result (try
                 (let [v (atom nil)
                       out (with-out-str (reset! v (eval (read-string line))))]
                   (str out "=> " (pr-str @v)))
                 (catch Throwable e
                   (let [e (if (instance? clojure.lang.Compiler$CompilerException e) (.getCause e) e)]
                     (str "!! " (.getName (class e)) ": " (ex-message e)))))]
    (println (pr-str line) (pr-str result))))
