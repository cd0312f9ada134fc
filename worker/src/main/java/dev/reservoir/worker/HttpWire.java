package dev.reservoir.worker;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The little of HTTP/1.1 the worker's endpoint speaks ({@link HttpEndpoint}): finding the end of a
 * request's head, reading its request line and its Authorization header, and writing a complete
 * answer (every answer closes its connection, so there is no keep-alive to get wrong). Pure.
 */
final class HttpWire {
    /** A request as routed: method, path (no query), the Authorization header or null, and whether the peer is loopback. */
    record Request(String method, String path, String authorization, boolean loopback) {
    }

    private HttpWire() {
    }

    /** The index just past the blank line that ends the head ({@code CRLF CRLF} or {@code LF LF}), or -1. */
    static int headEnd(ByteBuffer head) {
        byte[] b = head.array();
        int limit = head.position();
        for (int i = 1; i < limit; i++) {
            if (b[i] == '\n' && (b[i - 1] == '\n' || (i >= 2 && b[i - 1] == '\r' && b[i - 2] == '\n'))) {
                return i + 1;
            }
        }
        return -1;
    }

    /** The request line and the one header that matters, or null when the head is not HTTP. */
    static Request parse(boolean loopback, String head) {
        String[] lines = head.split("\r?\n");
        String[] requestLine = lines[0].split(" ");
        if (requestLine.length != 3 || !requestLine[2].startsWith("HTTP/1.")) {
            return null;
        }
        String target = requestLine[1];
        int query = target.indexOf('?');
        String path = query < 0 ? target : target.substring(0, query);
        String authorization = null;
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0 && lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT).equals("authorization")) {
                authorization = lines[i].substring(colon + 1).strip();
            }
        }
        return new Request(requestLine[0], path, authorization, loopback);
    }

    static byte[] answer(int code, String body) {
        return answer(code, body, "text/plain; charset=utf-8");
    }

    static byte[] answer(int code, String body, String contentType) {
        return answer(code, body, contentType, "");
    }

    static byte[] answer(int code, String body, String contentType, String extraHeaders) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + code + " " + reason(code) + "\r\nContent-Type: " + contentType + "\r\nContent-Length: " + bytes.length
                + "\r\n" + extraHeaders + "Connection: close\r\n\r\n";
        byte[] headBytes = head.getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[headBytes.length + bytes.length];
        System.arraycopy(headBytes, 0, all, 0, headBytes.length);
        System.arraycopy(bytes, 0, all, headBytes.length, bytes.length);
        return all;
    }

    private static String reason(int code) {
        return switch (code) {
            case 200 -> "OK";
            case 202 -> "Accepted";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 431 -> "Request Header Fields Too Large";
            case 503 -> "Service Unavailable";
            default -> "Status";
        };
    }
}
