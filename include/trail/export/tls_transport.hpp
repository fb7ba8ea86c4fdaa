// TLS through OpenSSL, layered on another Transport (plain TCP on any
// platform): OpenSSL works on memory buffers and this class moves the
// encrypted bytes through the inner transport, so the handshake and every
// read and write stay non-blocking and bounded by the caller's deadline, and
// no socket code is needed here. TLS 1.2 or later, SNI, hostname (or IP)
// verification, the system CA store unless a CA file is given, optional client
// certificate (mTLS). Only included when trail is built with TRAIL_WITH_TLS.
#pragma once

#include "../config.hpp"
#include "transport.hpp"

#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace trail::detail {

namespace tls {

// The oldest OpenSSL error on this thread's queue as text, then the queue is cleared.
inline std::string openssl_error(const char* fallback) {
  const unsigned long code = ERR_peek_error();
  ERR_clear_error();
  if (code == 0) return fallback;
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : fallback;
}

// Why certificate verification failed, in words that name the usual causes.
inline std::string verify_failure(long result, const std::string& host) {
  switch (result) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "the server's certificate has expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "the server's certificate is not yet valid (check the clock)";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "the server's certificate does not match the host '" + host + "' (wrong host)";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return "the server's certificate is signed by an unknown CA (trust its CA with "
             "OTEL_EXPORTER_OTLP_CERTIFICATE=<CA file>)";
    default:
      return std::string("the server's certificate was refused: ") + X509_verify_cert_error_string(result);
  }
}

inline bool is_ip_literal(const std::string& host) {
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str());
  if (ip == nullptr) return false;
  ASN1_OCTET_STRING_free(ip);
  return true;
}

struct CtxDeleter {
  void operator()(SSL_CTX* ctx) const noexcept { SSL_CTX_free(ctx); }
};
using Context = std::shared_ptr<SSL_CTX>;

// The client context for `options`: nullptr with a one-line reason when a
// file cannot be used.
inline Context make_context(const TransportOptions& options, std::string& error) {
  ERR_clear_error();
  Context ctx(SSL_CTX_new(TLS_client_method()), CtxDeleter{});
  if (ctx == nullptr) {
    error = "cannot set up TLS: " + openssl_error("SSL_CTX_new failed");
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  if (!options.certificate.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), options.certificate.c_str(), nullptr) != 1) {
      error = "cannot load the CA certificate file '" + options.certificate +
              "' (OTEL_EXPORTER_OTLP_CERTIFICATE): " + openssl_error("no certificate found");
      return nullptr;
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
    error = "cannot load the system's CA certificates: " + openssl_error("unknown error");
    return nullptr;
  }
  const bool has_cert = !options.client_certificate.empty(), has_key = !options.client_key.empty();
  if (has_cert != has_key) {
    error = "a client certificate needs both OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and "
            "OTEL_EXPORTER_OTLP_CLIENT_KEY; only " +
            std::string(has_cert ? "the certificate" : "the key") + " is set";
    return nullptr;
  }
  if (has_cert) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), options.client_certificate.c_str()) != 1) {
      error = "cannot load the client certificate file '" + options.client_certificate +
              "' (OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE): " + openssl_error("unusable file");
      return nullptr;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), options.client_key.c_str(), SSL_FILETYPE_PEM) != 1) {
      error = "cannot load the client key file '" + options.client_key +
              "' (OTEL_EXPORTER_OTLP_CLIENT_KEY): " + openssl_error("unusable file");
      return nullptr;
    }
    if (SSL_CTX_check_private_key(ctx.get()) != 1) {
      error = "the client key '" + options.client_key + "' does not belong to the client certificate '" +
              options.client_certificate + "'";
      ERR_clear_error();
      return nullptr;
    }
  }
  return ctx;
}

}  // namespace tls

class TlsTransport final : public Transport {
 public:
  TlsTransport(std::unique_ptr<Transport> inner, tls::Context ctx) noexcept
      : inner_(std::move(inner)), ctx_(std::move(ctx)) {}
  ~TlsTransport() override {
    close();
    if (session_ != nullptr) SSL_SESSION_free(session_);
  }
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  TransportStatus connect(const std::string& host, std::uint16_t port, TransportDeadline deadline,
                          std::string& error) noexcept override {
    close();
    TRAIL_TRY {
      TransportStatus status = inner_->connect(host, port, deadline, error);
      if (status != TransportStatus::ok) return status;
      status = handshake(host, port, deadline, error);
      if (status == TransportStatus::ok) return status;
      close();
      return status;
    } TRAIL_CATCH_ALL {
      error = "TLS: out of memory";
    }
    close();
    return TransportStatus::failed;
  }

  TransportStatus write(const ConstBuffer* buffers, std::size_t count, TransportDeadline deadline,
                        std::string& error) noexcept override {
    constexpr std::size_t slice = 64 * 1024;  // bounds the encrypted bytes held at once
    for (std::size_t i = 0; i < count; ++i) {
      const char* data = static_cast<const char*>(buffers[i].data);
      std::size_t left = buffers[i].size;
      while (left > 0) {
        const std::size_t n = left < slice ? left : slice;
        std::size_t written = 0;
        ERR_clear_error();
        if (SSL_write_ex(ssl_, data, n, &written) != 1) return failure(error, "TLS write failed");
        data += written;
        left -= written;
        if (BIO_ctrl_pending(wbio_) >= slice) {
          const TransportStatus sent = send_pending(deadline, error);
          if (sent != TransportStatus::ok) return sent;
        }
      }
    }
    return send_pending(deadline, error);
  }

  TransportStatus read(void* data, std::size_t capacity, std::size_t& received, TransportDeadline deadline,
                       std::string& error) noexcept override {
    received = 0;
    for (;;) {
      ERR_clear_error();
      const int rc = SSL_read_ex(ssl_, data, capacity, &received);
      if (rc == 1) return TransportStatus::ok;
      const int reason = SSL_get_error(ssl_, rc);
      if (reason == SSL_ERROR_ZERO_RETURN) return TransportStatus::eof;  // close_notify
      if (reason != SSL_ERROR_WANT_READ) return failure(error, "TLS read failed");
      const TransportStatus more = receive(deadline, error);
      if (more != TransportStatus::ok) return more;
    }
  }

  // Handles what arrived while idle (TLS 1.3 session tickets are normal;
  // close_notify, an alert or application data mean: do not reuse).
  bool idle_usable() noexcept override {
    if (ssl_ == nullptr) return false;
    for (int round = 0; round < 8; ++round) {
      if (inner_->idle_usable()) return SSL_has_pending(ssl_) == 0;
      std::string ignored;
      if (receive(std::chrono::steady_clock::now(), ignored) != TransportStatus::ok) return false;
      char byte;
      std::size_t n = 0;
      ERR_clear_error();
      if (SSL_peek_ex(ssl_, &byte, 1, &n) == 1) return false;  // data nobody asked for
      const int reason = SSL_get_error(ssl_, 0);
      ERR_clear_error();
      if (reason != SSL_ERROR_WANT_READ) return false;
    }
    return false;
  }

  void close() noexcept override {
    if (ssl_ != nullptr) {
      if (SSL_is_init_finished(ssl_)) {
        remember_session();
        ERR_clear_error();
        SSL_shutdown(ssl_);  // queue close_notify; sent if the socket takes it at once
        std::string ignored;
        send_pending(std::chrono::steady_clock::now(), ignored);
      }
      ERR_clear_error();
      SSL_free(ssl_);  // frees both BIOs
      ssl_ = nullptr;
      rbio_ = wbio_ = nullptr;
    }
    inner_->close();
  }

 private:
  TransportStatus handshake(const std::string& host, std::uint16_t port, TransportDeadline deadline, std::string& error) {
    const std::string where = host_port_text(host, port);
    ERR_clear_error();
    ssl_ = SSL_new(ctx_.get());
    rbio_ = BIO_new(BIO_s_mem());
    wbio_ = BIO_new(BIO_s_mem());
    if (ssl_ == nullptr || rbio_ == nullptr || wbio_ == nullptr) {
      BIO_free(rbio_);  // BIO_free and SSL_free take nullptr
      BIO_free(wbio_);
      SSL_free(ssl_);
      ssl_ = nullptr;
      rbio_ = wbio_ = nullptr;
      error = "TLS with " + where + ": " + tls::openssl_error("out of memory");
      return TransportStatus::failed;
    }
    SSL_set_bio(ssl_, rbio_, wbio_);
    SSL_set_connect_state(ssl_);
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const bool ip = tls::is_ip_literal(host);
    const bool named = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1
                          : SSL_set_tlsext_host_name(ssl_, host.c_str()) == 1 && SSL_set1_host(ssl_, host.c_str()) == 1;
    if (!named) {
      error = "TLS with " + where + ": cannot set the host name to verify: " + tls::openssl_error("invalid name");
      return TransportStatus::failed;
    }
    if (session_ != nullptr && session_host_ == where) SSL_set_session(ssl_, session_);

    for (;;) {
      ERR_clear_error();
      const int rc = SSL_do_handshake(ssl_);
      const int reason = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, rc);
      std::string io_error;
      // Whatever OpenSSL queued (hello, finished, an alert) goes out first.
      const TransportStatus sent = send_pending(deadline, io_error);
      if (rc == 1 && sent == TransportStatus::ok) {
        session_host_ = where;
        return TransportStatus::ok;
      }
      if (reason != SSL_ERROR_NONE && reason != SSL_ERROR_WANT_READ) {
        const long verified = SSL_get_verify_result(ssl_);
        error = "TLS handshake with " + where + " failed: " +
                (verified != X509_V_OK ? tls::verify_failure(verified, host)
                                       : tls::openssl_error("protocol error"));
        return TransportStatus::failed;
      }
      TransportStatus status = sent;
      if (status == TransportStatus::ok) status = receive(deadline, io_error);
      if (status != TransportStatus::ok) {
        error = "TLS handshake with " + where + " failed: " + handshake_io_failure(status, io_error);
        return status == TransportStatus::timeout ? status : TransportStatus::failed;
      }
    }
  }

  static std::string handshake_io_failure(TransportStatus status, const std::string& detail) {
    switch (status) {
      case TransportStatus::timeout:
        return "timed out";
      case TransportStatus::eof:
      case TransportStatus::reset:
        return "the server closed the connection (does it want a client certificate, or speak plain HTTP?)";
      default:
        return detail;
    }
  }

  // Sends the encrypted bytes OpenSSL has queued.
  TransportStatus send_pending(TransportDeadline deadline, std::string& error) noexcept {
    char* data = nullptr;
    const long size = BIO_get_mem_data(wbio_, &data);
    if (size <= 0) return TransportStatus::ok;
    const ConstBuffer buffer{data, static_cast<std::size_t>(size)};
    const TransportStatus status = inner_->write(&buffer, 1, deadline, error);
    (void)BIO_reset(wbio_);
    return status;
  }

  // Moves what the server sent next into OpenSSL's input.
  TransportStatus receive(TransportDeadline deadline, std::string& error) noexcept {
    std::size_t n = 0;
    const TransportStatus status = inner_->read(in_, sizeof in_, n, deadline, error);
    if (status == TransportStatus::ok && BIO_write(rbio_, in_, static_cast<int>(n)) != static_cast<int>(n))
      return failure(error, "TLS: out of memory");
    return status;
  }

  TransportStatus failure(std::string& error, const char* what) noexcept {
    TRAIL_TRY {
      error = std::string(what) + ": " + tls::openssl_error("connection error");
    } TRAIL_CATCH_ALL {
    }
    return TransportStatus::failed;
  }

  // Kept for a quicker handshake (session resumption) on the next connection.
  void remember_session() noexcept {
    SSL_SESSION* session = SSL_get1_session(ssl_);
    if (session == nullptr) return;
    if (SSL_SESSION_is_resumable(session) != 1) {
      SSL_SESSION_free(session);
      return;
    }
    if (session_ != nullptr) SSL_SESSION_free(session_);
    session_ = session;
  }

  std::unique_ptr<Transport> inner_;
  tls::Context ctx_;
  SSL* ssl_ = nullptr;
  BIO* rbio_ = nullptr;  // owned by ssl_
  BIO* wbio_ = nullptr;
  SSL_SESSION* session_ = nullptr;
  std::string session_host_;
  char in_[16 * 1024];
};

// TLS over `inner` with the CA and client files of `options`; nullptr with a
// reason when a file cannot be used.
inline std::unique_ptr<Transport> make_tls_transport(std::unique_ptr<Transport> inner,
                                                     const TransportOptions& options, std::string& error) {
  tls::Context ctx = tls::make_context(options, error);
  if (ctx == nullptr) return nullptr;
  return std::make_unique<TlsTransport>(std::move(inner), std::move(ctx));
}

}  // namespace trail::detail
