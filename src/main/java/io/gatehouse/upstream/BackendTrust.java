package io.gatehouse.upstream;

import io.gatehouse.config.BackendTlsConfig;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import java.net.InetAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;

/**
 * How the certificate of an {@code https://} target is judged, the same for proxied requests and health checks: the
 * chain must lead to the upstream's {@code ca} (or, without one, to the JDK's trust store), and the leaf must carry
 * the expected name — {@code server_name}, else the host the connection was made to — as a DNS or IP subject
 * alternative name (a wildcard covers one left-most label). With {@code verify: false} anything is accepted.
 */
public final class BackendTrust {

    private BackendTrust() {
    }

    /** The trust manager for {@code tls}. */
    public static X509ExtendedTrustManager trustManager(BackendTlsConfig tls) {
        if (!tls.verify()) {
            return new Accepting();
        }
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (tls.ca().isEmpty()) {
                factory.init((KeyStore) null);
            } else {
                KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
                store.load(null, null);
                for (int i = 0; i < tls.ca().size(); i++) {
                    store.setCertificateEntry("ca-" + i, tls.ca().get(i));
                }
                factory.init(store);
            }
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509TrustManager chain) {
                    return new Checking(chain, tls.serverName());
                }
            }
            throw new IllegalStateException("no X.509 trust manager in " + factory.getAlgorithm());
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("cannot build the trust manager for " + tls, e);
        }
    }

    /** A client context for the JDK's HTTP client (the health checks). */
    public static SSLContext sslContext(BackendTlsConfig tls) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[]{trustManager(tls)}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code leaf} names {@code name}: a DNS name (a wildcard for one label) or, for an address, an IP. */
    static boolean names(X509Certificate leaf, String name) {
        boolean address = name.indexOf(':') >= 0 || name.chars().allMatch(c -> c == '.' || c >= '0' && c <= '9');
        List<List<?>> alternatives;
        try {
            var found = leaf.getSubjectAlternativeNames();
            alternatives = found == null ? List.of() : List.copyOf(found.stream().map(l -> (List<?>) l).toList());
        } catch (CertificateParsingException e) {
            return false;
        }
        String wanted = name.toLowerCase(Locale.ROOT);
        for (List<?> alternative : alternatives) {
            int type = (Integer) alternative.get(0);
            String value = String.valueOf(alternative.get(1)).toLowerCase(Locale.ROOT);
            if (address && type == 7 && sameAddress(value, wanted)) {
                return true;
            }
            if (!address && type == 2 && dnsMatch(value, wanted)) {
                return true;
            }
        }
        return false;
    }

    private static boolean sameAddress(String a, String b) {
        try {
            return InetAddress.getByName(a).equals(InetAddress.getByName(b.replace("[", "").replace("]", "")));
        } catch (java.net.UnknownHostException e) {
            return false; // both are literals: nothing is looked up
        }
    }

    private static boolean dnsMatch(String pattern, String name) {
        if (pattern.startsWith("*.")) {
            int dot = name.indexOf('.');
            return dot > 0 && name.substring(dot).equals(pattern.substring(1));
        }
        return pattern.equals(name);
    }

    /** A backend connection is a client: it has no client certificates to judge. */
    private abstract static class ServerOnly extends X509ExtendedTrustManager {
        private static CertificateException noClients() {
            return new CertificateException("a backend connection has no client to trust");
        }

        @Override
        public final void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw noClients();
        }

        @Override
        public final void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw noClients();
        }

        @Override
        public final void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw noClients();
        }
    }

    /** The chain by the JDK's PKIX checks, then the name by {@link #names}. */
    private static final class Checking extends ServerOnly {
        private final X509TrustManager chain;
        private final String serverName;

        Checking(X509TrustManager chain, String serverName) {
            this.chain = chain;
            this.serverName = serverName;
        }

        private void check(X509Certificate[] certificates, String authType, String peerHost)
                throws CertificateException {
            chain.checkServerTrusted(certificates, authType);
            String expected = serverName != null ? serverName : peerHost;
            if (expected == null) {
                throw new CertificateException("no host name to check the backend's certificate against");
            }
            if (!names(certificates[0], expected)) {
                throw new CertificateException("the backend's certificate is not for " + expected);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] certificates, String authType, SSLEngine engine)
                throws CertificateException {
            check(certificates, authType, engine == null ? null : engine.getPeerHost());
        }

        @Override
        public void checkServerTrusted(X509Certificate[] certificates, String authType, Socket socket)
                throws CertificateException {
            check(certificates, authType, socket == null || socket.getInetAddress() == null ? null
                    : socket.getInetAddress().getHostName());
        }

        @Override
        public void checkServerTrusted(X509Certificate[] certificates, String authType)
                throws CertificateException {
            check(certificates, authType, null);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return chain.getAcceptedIssuers();
        }
    }

    /** {@code verify: false}. */
    private static final class Accepting extends ServerOnly {
        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
