package io.gatehouse.proxy;

import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.channel.CombinedChannelDuplexHandler;

/**
 * The HTTP/1.1 codec of a backend connection. Unlike Netty's {@code HttpClientCodec}, which quietly drops a
 * Content-Length that comes with {@code Transfer-Encoding: chunked}, it treats such a response as malformed, so the
 * gateway answers 502 and discards the connection instead of guessing where the body ends. It carries one request
 * at a time, so knowing whether that request was a HEAD is all it needs to frame the response.
 */
final class BackendCodec extends CombinedChannelDuplexHandler<BackendCodec.ResponseDecoder, HttpRequestEncoder> {

    BackendCodec(HttpDecoderConfig config) {
        super(new ResponseDecoder(config), new HttpRequestEncoder());
    }

    /** Call before writing a request head: a response to HEAD has no body whatever its headers say. */
    void expectResponseTo(HttpMethod method) {
        inboundHandler().headRequest = HttpMethod.HEAD.equals(method);
    }

    /**
     * Bytes received but not yet decoded: after a complete response they can only be stray bytes (e.g. a body
     * after a 204), and a connection holding them would prepend them to the next response, so it is not reused.
     */
    boolean hasUndecodedBytes() {
        return inboundHandler().undecodedBytes() > 0;
    }

    static final class ResponseDecoder extends HttpResponseDecoder {
        private boolean headRequest;

        ResponseDecoder(HttpDecoderConfig config) {
            super(config);
        }

        int undecodedBytes() {
            return actualReadableBytes();
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage msg) {
            if (headRequest && msg instanceof HttpResponse response && response.status().code() >= 200) {
                return true;
            }
            return super.isContentAlwaysEmpty(msg);
        }

        @Override
        protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
            throw new IllegalArgumentException("response has both Content-Length and Transfer-Encoding");
        }
    }
}
