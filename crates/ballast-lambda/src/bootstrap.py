"""Ballast's runtime for python3.x functions.

It speaks the Lambda Runtime API at AWS_LAMBDA_RUNTIME_API: it imports the
handler named by _HANDLER from LAMBDA_TASK_ROOT (reporting an import
failure to init/error), then asks invocation/next for each event, calls
the handler with it and a context object, and posts what the handler
returned, or the exception it raised, under the request id.
"""

import http.client
import importlib
import json
import os
import sys
import time
import traceback

RUNTIME_API = os.environ["AWS_LAMBDA_RUNTIME_API"]
PREFIX = "/2018-06-01/runtime"
END_MARKER = "\x01ballast-invocation-end "


class Stopping(Exception):
    """The environment is being stopped (the Runtime API answered 410)."""


class RuntimeApi:
    """One kept-alive connection to the Runtime API."""

    def __init__(self):
        self.connection = http.client.HTTPConnection(RUNTIME_API)

    def call(self, method, path, body=None, headers=None):
        self.connection.request(method, PREFIX + path, body=body, headers=headers or {})
        response = self.connection.getresponse()
        payload = response.read()
        if response.status == 410:
            raise Stopping()
        return response, payload


API = None


def scale_sleep():
    """Under --time-scale, a function's waits shrink as instances' do."""
    factor = float(os.environ.get("BALLAST_TIME_SCALE", "1") or "1")
    if factor == 1:
        return
    real_sleep = time.sleep
    time.sleep = lambda seconds: real_sleep(max(0.0, seconds) * factor)


def post(path, body, error_type=None):
    headers = {"Content-Type": "application/json"}
    if error_type:
        headers["Lambda-Runtime-Function-Error-Type"] = error_type
    API.call("POST", path, body, headers)


def error_object(error_type, message, trace=None):
    return json.dumps(
        {"errorMessage": message, "errorType": error_type, "stackTrace": trace or []}
    ).encode()


def load_handler(name):
    """The handler function, or an (errorType, errorMessage) pair."""
    try:
        module_name, function_name = name.rsplit(".", 1)
    except ValueError as error:
        return None, ("Runtime.MalformedHandlerName", "Bad handler '%s': %s" % (name, error))
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        return None, (
            "Runtime.ImportModuleError",
            "Unable to import module '%s': %s" % (module_name, error),
        )
    except SyntaxError as error:
        return None, (
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module '%s': %s" % (module_name, error),
        )
    handler = getattr(module, function_name, None)
    if handler is None:
        return None, (
            "Runtime.HandlerNotFound",
            "Handler '%s' missing on module '%s'" % (function_name, module_name),
        )
    return handler, None


class Context:
    """What a handler's second argument carries."""

    def __init__(self, request_id, deadline_ms, function_arn, client_context):
        self.aws_request_id = request_id
        self.invoked_function_arn = function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.client_context = json.loads(client_context) if client_context else None
        self.identity = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def flush(request_id):
    sys.stdout.flush()
    sys.stderr.flush()
    sys.stdout.write(END_MARKER + request_id + "\n")
    sys.stdout.flush()


def serve(handler):
    while True:
        response, body = API.call("GET", "/invocation/next")
        headers = response.headers
        request_id = headers["Lambda-Runtime-Aws-Request-Id"]
        context = Context(
            request_id,
            int(headers.get("Lambda-Runtime-Deadline-Ms", "0")),
            headers.get("Lambda-Runtime-Invoked-Function-Arn"),
            headers.get("Lambda-Runtime-Client-Context"),
        )
        os.environ["_X_AMZN_TRACE_ID"] = headers.get("Lambda-Runtime-Trace-Id", "")
        try:
            event = json.loads(body) if body else {}
            result = handler(event, context)
            try:
                answer = json.dumps(result).encode()
            except (TypeError, ValueError) as error:
                flush(request_id)
                message = "Unable to marshal response: %s" % error
                post(
                    "/invocation/%s/error" % request_id,
                    error_object("Runtime.MarshalError", message),
                    "Runtime.MarshalError",
                )
                continue
        except Exception as error:  # the handler's failure is the caller's answer
            trace = traceback.format_tb(error.__traceback__)[1:]
            print("[ERROR] %s: %s" % (type(error).__name__, error), file=sys.stderr)
            flush(request_id)
            post(
                "/invocation/%s/error" % request_id,
                error_object(type(error).__name__, str(error), trace),
                type(error).__name__,
            )
            continue
        flush(request_id)
        post("/invocation/%s/response" % request_id, answer)


def main():
    global API
    API = RuntimeApi()
    scale_sleep()
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    sys.path.insert(0, task_root)
    handler, failure = load_handler(os.environ.get("_HANDLER", ""))
    if failure:
        error_type, message = failure
        print("[ERROR] %s: %s" % (error_type, message), file=sys.stderr)
        sys.stderr.flush()
        post("/init/error", error_object(error_type, message), error_type)
        sys.exit(1)
    try:
        serve(handler)
    except Stopping:
        sys.exit(0)


if __name__ == "__main__":
    main()
