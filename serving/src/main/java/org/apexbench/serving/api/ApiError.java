package org.apexbench.serving.api;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error answer of the OpenAI API: an HTTP status and the body {@code {"error": {"message", "type", "param",
 * "code"}}}. The message says what was wrong and what was expected; {@code param} names the request field.
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;

    public ApiError(int status, String type, String message, String param, String code) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400: a malformed body or a field with a bad value. */
    public static ApiError badRequest(String message, String param) {
        return new ApiError(400, "invalid_request_error", message, param, null);
    }

    /** 404 for a model this server does not serve (OpenAI's code {@code model_not_found}). */
    public static ApiError modelNotFound(String model, String served) {
        return new ApiError(404, "invalid_request_error", "The model '" + model + "' does not exist; this server serves '"
                + served + "'", "model", "model_not_found");
    }

    public int status() { return status; }

    public String type() { return type; }

    public String param() { return param; }

    public String code() { return code; }

    /** The JSON body of the answer. */
    public Map<String, Object> body() {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("message", getMessage());
        e.put("type", type);
        e.put("param", param);
        e.put("code", code);
        return Map.of("error", e);
    }
}
