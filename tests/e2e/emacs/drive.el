;;; drive.el --- Emacs 30 eglot e2e driver for tests/e2e/test_emacs.py  -*- lexical-binding: t; -*-
;;
;;   emacs --batch -Q -l drive.el   (cwd: a copy of examples/)
;;
;; Configures eglot as a new user would (one `eglot-server-programs' entry, the settings tree
;; in `eglot-workspace-configuration', `.accessdenied.toml' as project root marker), opens
;; $AD_E2E_LOG, waits until Flymake shows the denial, hovers the principal ARN and the action,
;; runs the first quick fix through `eglot-code-actions' + `eglot-execute' (eglot's own code
;; path, resolve included), saves, and shuts the server down.  Results go to the JSON file
;; $AD_E2E_OUT (pytest asserts on them); the exit status is 0 only if every step ran.

(require 'cl-lib)
(require 'eglot)
(require 'flymake)

(defvar ad-out (list :steps nil :notifications nil))
(defvar ad-t0 (float-time))

(defun ad-ms () (round (* 1000 (- (float-time) ad-t0))))
(defun ad-put (key value) (setq ad-out (plist-put ad-out key value)))
(defun ad-step (name)
  (ad-put :steps (vconcat (plist-get ad-out :steps) (vector (list :name name :ms (ad-ms))))))

(defun ad-finish (code)
  (ad-put :ok (if (eq code 0) t :false))
  (ad-put :version emacs-version)
  (with-temp-file (getenv "AD_E2E_OUT")
    (insert (json-serialize ad-out :null-object :null :false-object :false)))
  (kill-emacs code))

(defun ad-fail (fmt &rest args)
  (let ((msg (apply #'format fmt args)))
    (ad-put :error msg)
    (message "FAIL: %s" msg)
    (ad-finish 2)))

(defun ad-wait (pred seconds)
  "Run the event loop until PRED returns non-nil or SECONDS pass; PRED's value."
  (let ((deadline (+ (float-time) seconds)) (v nil))
    (while (and (not (setq v (funcall pred))) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    v))

;; What the server publishes, as eglot receives it (before Flymake sees it).
(advice-add 'eglot-handle-notification :before
            (lambda (_server method &rest params)
              (when (eq method 'textDocument/publishDiagnostics)
                (ad-put :notifications
                        (vconcat (plist-get ad-out :notifications)
                                 (vector (list :ms (ad-ms)
                                               :uri (plist-get params :uri)
                                               :count (length (plist-get params :diagnostics)))))))))

(defun ad-text (contents)
  "Hover CONTENTS (MarkupContent, MarkedString or a vector of them) as one string."
  (cond ((stringp contents) contents)
        ((vectorp contents) (mapconcat #'ad-text contents "\n"))
        ((plist-get contents :value) (plist-get contents :value))
        (t (format "%S" contents))))

(condition-case err
    (let* ((cmd (append (json-parse-string (getenv "AD_E2E_CMD")) nil))
           (log-file (expand-file-name (or (getenv "AD_E2E_LOG") "logs/terminal.log")))
           (action (or (getenv "AD_E2E_ACTION") "s3:PutObject"))
           buf server target)
      ;; The user's configuration: one entry for logs and policy files.
      ;; Emacs has no mode for logs and eglot never manages `fundamental-mode' buffers, so a
      ;; user gives logs `text-mode' (eglot then sends the language id "text").
      (add-to-list 'auto-mode-alist '("\\.\\(log\\|out\\)\\'" . text-mode))
      (setq eglot-server-programs
            (cons (cons '(text-mode js-json-mode json-ts-mode js-mode yaml-mode yaml-ts-mode)
                        cmd)
                  eglot-server-programs))
      (setq-default eglot-workspace-configuration
                    '(:accessdenied (:aws (:liveMode :json-false))))
      (setq project-vc-extra-root-markers '(".accessdenied.toml")
            eglot-confirm-server-edits nil
            eglot-sync-connect 30
            eglot-connect-timeout 60
            eglot-autoshutdown nil)
      (setq buf (find-file-noselect log-file))
      (set-buffer buf)
      (ad-put :major_mode (symbol-name major-mode))
      (setq server (apply #'eglot (eglot--guess-contact)))
      (unless (eglot-lsp-server-p server) (ad-fail "eglot did not connect: %S" server))
      (unless (ad-wait (lambda () (with-current-buffer buf eglot--managed-mode)) 10)
        (ad-fail "eglot does not manage the log buffer"))
      ;; Flymake defers its first run to the command loop, which batch Emacs does not have.
      (with-current-buffer buf (flymake-start))
      (ad-put :language_id (eglot--languageId server))
      (ad-put :server_info (plist-get (eglot--server-info server) :name))
      (ad-put :root (project-root (eglot--project server)))
      (ad-step "connected")
      ;; Flymake shows the denial on the log.
      (setq target
            (ad-wait (lambda ()
                       (with-current-buffer buf
                         (cl-find-if (lambda (d)
                                       (string-search action (flymake-diagnostic-text d)))
                                     (flymake-diagnostics))))
                     30))
      (unless target
        (ad-fail "no Flymake diagnostic mentions %s (flymake-mode=%s, %d diagnostics)"
                 action (bound-and-true-p flymake-mode)
                 (length (with-current-buffer buf (flymake-diagnostics)))))
      (ad-step "diagnostics")
      (ad-put :diagnostics
              (vconcat
               (mapcar (lambda (d)
                         (list :line (line-number-at-pos (flymake-diagnostic-beg d))
                               :message (flymake-diagnostic-text d)
                               :type (symbol-name (flymake-diagnostic-type d))))
                       (flymake-diagnostics))))
      ;; Hover on the principal ARN and on the action, the way eldoc asks.
      (goto-char (flymake-diagnostic-beg target))
      (unless (search-forward "arn:aws:sts::" (line-end-position) t)
        (ad-fail "no principal ARN on the denial line"))
      (let ((hover (jsonrpc-request server :textDocument/hover
                                    (eglot--TextDocumentPositionParams))))
        (ad-put :hover_principal (if hover (ad-text (plist-get hover :contents)) ""))
        (ad-put :hover_kind (or (plist-get (plist-get hover :contents) :kind) :null)))
      (goto-char (flymake-diagnostic-beg target))
      (unless (search-forward (concat "perform: " action) (line-end-position) t)
        (ad-fail "no action on the denial line"))
      (backward-char 3)
      (let ((hover (jsonrpc-request server :textDocument/hover
                                    (eglot--TextDocumentPositionParams))))
        (ad-put :hover_action (if hover (ad-text (plist-get hover :contents)) "")))
      (ad-put :hover_formats (eglot--accepted-formats))
      (ad-step "hover")
      ;; The quick fix, asked for right after the diagnostic appeared.
      (let* ((beg (flymake-diagnostic-beg target))
             (end (flymake-diagnostic-end target))
             (actions (eglot-code-actions beg end "quickfix")))
        (ad-put :actions (vconcat (mapcar (lambda (a) (plist-get a :title)) actions)))
        (unless actions (ad-fail "no quick fix for the denial"))
        (let* ((first (car actions))
               (edit-uris nil))
          (ad-put :applied (plist-get first :title))
          (advice-add 'eglot--apply-workspace-edit :before
                      (lambda (wedit &rest _)
                        (cl-loop for (uri _edits) on (plist-get wedit :changes) by #'cddr
                                 do (push (eglot-uri-to-path (substring (symbol-name uri) 1))
                                          edit-uris))
                        (cl-loop for change across (plist-get wedit :documentChanges)
                                 for doc = (plist-get change :textDocument)
                                 when doc do (push (eglot-uri-to-path (plist-get doc :uri))
                                                   edit-uris))))
          (eglot-execute server first)
          (save-some-buffers t)
          (ad-put :modified (vconcat (delete-dups edit-uris)))))
      (ad-step "quick fix applied and saved")
      ;; Logs that appear after start, in directories that did not exist (eglot watches
      ;; neither): the `accessdenied run' wrapper's .accessdenied/terminal.log, build/out.log.
      (setq default-directory (file-name-as-directory (project-root (eglot--project server))))
      (let* ((run-cmd (append (butlast cmd) '("run" "--" "cat" "logs/terminal.log")))
             (status (apply #'call-process (car run-cmd) nil nil nil (cdr run-cmd))))
        (ad-put :wrapper_status status))
      (make-directory "build" t)
      (with-temp-file "build/out.log"
        (insert "Error: reading S3 object: operation error S3: GetObject, https response error "
                "StatusCode: 403, RequestID: 5N2K, api error AccessDenied: User: "
                "arn:aws:sts::111122223333:assumed-role/app-role/ci is not authorized to "
                "perform: s3:GetObject on resource: \"arn:aws:s3:::acme-private/a.txt\" "
                "because no identity-based policy allows the s3:GetObject action\n"))
      ;; A new file in a watched directory, matching the relative default glob logs/**/*.txt
      ;; (eglot matches a watcher's globs against absolute paths).
      (with-temp-file "logs/late.txt"
        (insert "An error occurred (AccessDeniedException) when calling the GetParameter "
                "operation: User: arn:aws:sts::111122223333:assumed-role/app-role/cron is not "
                "authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:"
                "111122223333:parameter/app/db-url because no identity-based policy allows "
                "the ssm:GetParameter action\n"))
      (let ((seen (lambda (suffix)
                    (cl-some (lambda (n) (and (string-suffix-p suffix (plist-get n :uri))
                                              (> (plist-get n :count) 0)))
                             (plist-get ad-out :notifications)))))
        (ad-wait (lambda () (and (funcall seen "/.accessdenied/terminal.log")
                                 (funcall seen "/build/out.log")
                                 (funcall seen "/logs/late.txt")))
                 15)
        (ad-put :late_txt_seen (if (funcall seen "/logs/late.txt") t :false))
        (ad-put :wrapper_log_seen (if (funcall seen "/.accessdenied/terminal.log") t :false))
        (ad-put :build_log_seen (if (funcall seen "/build/out.log") t :false)))
      (ad-step "new logs")
      ;; The log's diagnostics now, once the server has explained the denials (it may
      ;; republish them when the workspace index is ready).
      (ad-put :diagnostics_final
              (with-current-buffer buf
                (vconcat (mapcar (lambda (d) (list :line (line-number-at-pos (flymake-diagnostic-beg d))
                                                   :message (flymake-diagnostic-text d)))
                                 (flymake-diagnostics)))))
      ;; eglot-shutdown's sequence (shutdown request, exit notification), but waiting up to
      ;; 2 s to see whether the server exits by itself (eglot itself kills it after 100 ms).
      (let ((proc (jsonrpc--process server)) (start nil))
        (setf (eglot--shutdown-requested server) t)
        (jsonrpc-request server :shutdown nil :timeout 5)
        (setq start (float-time))
        (jsonrpc-notify server :exit nil)
        (ad-wait (lambda () (not (process-live-p proc))) 2)
        (ad-put :exit_ms (round (* 1000 (- (float-time) start))))
        (ad-put :server_exit (list :status (symbol-name (process-status proc))
                                   :code (process-exit-status proc)))
        (when (process-live-p proc) (delete-process proc)))
      (ad-step "shutdown")
      (ad-finish 0))
  (error (ad-fail "%S" err)))

;;; drive.el ends here
