package org.jepa4j.serve;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * Marks a request in an HTTP version the server does not speak ({@code HTTP/2.0} sent as text, a
 * prior-knowledge HTTP/2 preface, {@code HTTP/1.2}, {@code FOO/1.1}) as one HTTP could not parse,
 * so that {@link Routes#invalidRequest} answers it with a JSON 505 naming the version; left alone,
 * Vert.x answers such a request with an empty 501. Sits in each connection's Netty pipeline right
 * after the HTTP decoder, one instance per connection. The request's version is set to 1.1, the
 * version of the answer; whatever the connection sends after that request is dropped.
 */
final class HttpVersionCheck extends ChannelInboundHandlerAdapter {
    /** The name of the handler in the pipeline. */
    static final String NAME = "jepa4j-http-version";
    /** The name Vert.x gives its HTTP/1.x request decoder in the pipeline. */
    static final String DECODER = "httpDecoder";

    /** The versions the server speaks. */
    static boolean spoken(HttpVersion version) {
        return HttpVersion.HTTP_1_1.equals(version) || HttpVersion.HTTP_1_0.equals(version);
    }

    /** A request of this connection was refused for its version: the connection closes after the answer. */
    private boolean refused;
    /** The refused request has been read to its end: what follows is not HTTP/1.x and is dropped. */
    private boolean refusedRequestRead;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (refusedRequestRead) {
            // an HTTP/2 client's frames after its preface, or requests pipelined behind the refused one:
            // none is answered (the connection closes once the 505 is written)
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest request && request.decoderResult().isSuccess()
                && !spoken(request.protocolVersion())) {
            String version = request.protocolVersion().text();
            request.setProtocolVersion(HttpVersion.HTTP_1_1);
            request.setDecoderResult(DecoderResult.failure(new UnsupportedVersionException(version)));
            refused = true;
        }
        if (refused && msg instanceof LastHttpContent) {
            refusedRequestRead = true;
        }
        ctx.fireChannelRead(msg);
    }

    /** The version of a request the server does not speak. */
    static final class UnsupportedVersionException extends Exception {
        UnsupportedVersionException(String version) {
            super(version);
        }

        /** The version as the request line gave it, for example {@code HTTP/2.0}. */
        String version() {
            return getMessage();
        }
    }
}
