#include "generator/tcp_client.hpp"

#include <algorithm>
#include <memory>

#include "base/errors.hpp"
#include "generator/detail/channel.hpp"
#include "generator/detail/rst_suppressor.hpp"
#include "generator/detail/rto.hpp"
#include "generator/detail/transcript.hpp"

namespace tcplab::gen {

namespace flag = packet::tcp_flag;
using Clock = std::chrono::steady_clock;
using packet::SeqNum;

const char* to_string(HandshakeOutcome outcome) {
    switch (outcome) {
        case HandshakeOutcome::completed:
            return "completed";
        case HandshakeOutcome::reset:
            return "reset";
        case HandshakeOutcome::timeout:
            return "timeout";
    }
    return "?";
}

std::uint8_t payload_byte(std::uint64_t offset) {
    return static_cast<std::uint8_t>('a' + offset % 26);
}

namespace {

constexpr std::uint16_t kDefaultPeerMss = 536;       // RFC 9293 3.7.1 when the SYN-ACK has no MSS
constexpr std::uint32_t kTimestampOptionSpace = 12;  // NOP NOP TS(10) on every segment
constexpr auto kNever = std::chrono::steady_clock::time_point::max();

std::chrono::milliseconds until(Clock::time_point t) {
    const auto d = std::chrono::ceil<std::chrono::milliseconds>(t - Clock::now());
    return std::max(d, std::chrono::milliseconds(0));
}

// The connection: sequence-space bookkeeping and one event loop. Member names follow RFC 9293.
class Client {
public:
    explicit Client(const HandshakeOptions& options)
        : options_(options),
          sport_(options.sport.value_or(random_port())),
          channel_(ChannelConfig{options.src, sport_, options.dst, options.ttl}),
          deadline_(Clock::now() + options.timeout) {
        iss_ = SeqNum(options.isn.value_or(random_u32()));
        base_.local_isn = iss_;
        result_.sport = sport_;
        ts_offset_ = random_u32();
    }

    HandshakeResult run() {
        if (connect()) {
            transfer();
        }
        result_.transcript = transcript_.lines();
        if (result_.handshake_completed && snd_una_ > iss_ + 1) {
            result_.bytes_acked = std::min<std::uint64_t>(
                options_.data_bytes, static_cast<std::uint32_t>(snd_una_ - (iss_ + 1)));
        }
        return result_;
    }

private:
    // --- sending ---------------------------------------------------------------------------
    std::vector<packet::TcpOption> segment_options() const {
        std::vector<packet::TcpOption> list;
        if (ts_enabled_) {
            list.push_back(packet::TcpOption::make_nop());
            list.push_back(packet::TcpOption::make_nop());
            list.push_back(packet::TcpOption::make_timestamps(ts_now(), ts_recent_));
        }
        return list;
    }

    std::uint32_t ts_now() const {
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch());
        return ts_offset_ + static_cast<std::uint32_t>(ms.count());
    }

    void send(packet::TcpHeader tcp, std::span<const std::uint8_t> payload, bool retransmission) {
        if (tcp.option_list.empty() && !tcp.has(flag::kSyn)) {
            tcp.option_list = segment_options();
        }
        if (!tcp.has(flag::kSyn)) {
            tcp.window = options_.window;
        }
        const bool sent = channel_.send(tcp, payload);
        if (!sent) {
            transcript_.note(Clock::now(),
                             "send failed: " + channel_.last_error() + " (treated as a loss)");
        }
        if (retransmission) {
            ++result_.retransmissions;
        }
        transcript_.add(
            Clock::now(), Direction::sent,
            format_segment(channel_.last_sent(), static_cast<std::uint32_t>(payload.size()),
                           Direction::sent, base_, tcp.window, retransmission),
            retransmission);
    }

    void send_syn(bool retransmission) {
        packet::TcpHeader syn;
        syn.seq = iss_;
        syn.flags = flag::kSyn;
        syn.window = options_.window;
        std::optional<packet::TcpTimestamps> ts;
        if (options_.timestamps) {
            ts = packet::TcpTimestamps{ts_now(), 0};
        }
        syn.option_list =
            packet::linux_syn_options(options_.mss, options_.sack, ts, options_.wscale);
        send(syn, {}, retransmission);
    }

    void send_ack() {
        packet::TcpHeader ack;
        ack.seq = snd_nxt_;
        ack.ack = rcv_nxt_;
        ack.flags = flag::kAck;
        send(ack, {}, false);
    }

    void send_data(SeqNum seq, std::uint32_t length) {
        const auto offset =
            static_cast<std::uint64_t>(static_cast<std::uint32_t>(seq - (iss_ + 1)));
        std::vector<std::uint8_t> payload(length);
        for (std::uint32_t i = 0; i < length; ++i) {
            payload[i] = payload_byte(offset + i);
        }
        packet::TcpHeader tcp;
        tcp.seq = seq;
        tcp.ack = rcv_nxt_;
        tcp.flags = flag::kAck | flag::kPsh;
        const bool retransmission = seq < snd_max_;
        if (!retransmission && !timed_) {
            timed_ = true;
            timed_end_ = seq + length;
            timed_at_ = Clock::now();
        }
        send(tcp, payload, retransmission);
    }

    void send_fin() {
        packet::TcpHeader tcp;
        tcp.seq = data_end_;
        tcp.ack = rcv_nxt_;
        tcp.flags = flag::kFin | flag::kAck;
        send(tcp, {}, data_end_ < snd_max_);
    }

    void send_rst() {
        packet::TcpHeader tcp;
        tcp.seq = snd_nxt_;
        tcp.ack = rcv_nxt_;
        tcp.flags = flag::kRst | flag::kAck;
        send(tcp, {}, false);
    }

    // --- receiving -------------------------------------------------------------------------
    void record(const IncomingSegment& in) {
        const auto& tcp = in.packet.tcp;
        std::uint32_t window = tcp.window;
        if (!tcp.has(flag::kSyn) && peer_wscale_) {
            window <<= *peer_wscale_;
        }
        transcript_.add(in.at, Direction::received,
                        format_segment(tcp, static_cast<std::uint32_t>(in.payload.size()),
                                       Direction::received, base_, window, false),
                        false);
    }

    bool expired(const char* state) {
        if (Clock::now() < deadline_) {
            return false;
        }
        fail(HandshakeOutcome::timeout, std::string("timed out after ") +
                                            std::to_string(options_.timeout.count()) + " ms in " +
                                            state);
        return true;
    }

    void fail(HandshakeOutcome outcome, std::string reason) {
        result_.outcome = outcome;
        result_.reason = std::move(reason);
        transcript_.note(Clock::now(), result_.reason);
    }

    // SYN_SENT until a SYN-ACK (true), a RST or the deadline / retry limit (false).
    bool connect() {
        const auto syn_sent_at = Clock::now();
        send_syn(false);
        int tries = 0;
        auto timer = Clock::now() + rto_.rto();
        for (;;) {
            if (expired("SYN-SENT (no answer to the SYN)")) {
                return false;
            }
            if (Clock::now() >= timer) {
                if (tries >= options_.max_retransmissions) {
                    fail(HandshakeOutcome::timeout, "no answer to the SYN after " +
                                                        std::to_string(tries) + " retransmissions");
                    return false;
                }
                ++tries;
                rto_.back_off();
                send_syn(true);
                timer = Clock::now() + rto_.rto();
            }
            auto in = channel_.receive(until(std::min(timer, deadline_)));
            if (!in) {
                continue;
            }
            const auto& tcp = in->packet.tcp;
            if (tcp.has(flag::kRst)) {
                record(*in);
                if (tcp.has(flag::kAck) && tcp.ack == iss_ + 1) {
                    fail(HandshakeOutcome::reset, "RST from " + options_.dst.to_string() +
                                                      " in answer to the SYN (port closed)");
                    return false;
                }
                continue;  // not acceptable for our SYN (RFC 9293 3.10.7.3): ignore
            }
            if (!tcp.has(flag::kSyn) || !tcp.has(flag::kAck) || tcp.ack != iss_ + 1) {
                record(*in);
                continue;
            }
            base_.peer_isn = tcp.seq;
            base_.peer_isn_known = true;
            record(*in);
            if (tries == 0) {
                const auto rtt =
                    std::chrono::duration_cast<std::chrono::microseconds>(in->at - syn_sent_at);
                result_.handshake_rtt = rtt;
                rto_.on_rtt_sample(rtt);
            } else {
                // Karn: no sample from a retransmitted SYN; RFC 6298 5.7 restarts from 3 s, Linux
                // from its initial 1 s; we follow Linux.
                rto_ = RtoEstimator{};
            }
            on_syn_ack(tcp);
            return true;
        }
    }

    void on_syn_ack(const packet::TcpHeader& tcp) {
        result_.peer_syn_options = tcp.options;
        rcv_nxt_ = tcp.seq + 1;
        snd_una_ = iss_ + 1;
        snd_nxt_ = snd_una_;
        snd_max_ = snd_una_;
        data_end_ = snd_una_ + static_cast<std::uint32_t>(options_.data_bytes);
        if (options_.wscale && tcp.options.window_scale) {
            peer_wscale_ = std::min<std::uint8_t>(*tcp.options.window_scale, 14);
        }
        peer_window_ = tcp.window;  // the window of a SYN is never scaled (RFC 7323 2.2)
        ts_enabled_ = options_.timestamps && tcp.options.timestamps.has_value();
        if (ts_enabled_) {
            ts_recent_ = tcp.options.timestamps->value;
        }
        std::uint32_t mss =
            std::min<std::uint32_t>(tcp.options.mss.value_or(kDefaultPeerMss), options_.mss);
        if (ts_enabled_) {
            mss -= std::min(mss - 1, kTimestampOptionSpace);
        }
        send_mss_ = std::max<std::uint32_t>(mss, 1);
        send_ack();
        result_.handshake_completed = true;
    }

    // ESTABLISHED and the close: data within the peer's window, timer, FIN or RST.
    void transfer() {
        const SeqNum send_limit = options_.fin ? data_end_ + 1 : data_end_;
        for (;;) {
            send_within_window();
            if (snd_una_ == send_limit && all_acked()) {
                return;
            }
            if (linger_until_ && Clock::now() >= *linger_until_) {
                return;
            }
            if (!linger_until_ &&
                expired(snd_una_ == send_limit ? "FIN-WAIT-2 (waiting for the peer's FIN)"
                                               : "ESTABLISHED (data not acknowledged)")) {
                return;
            }
            if (Clock::now() >= timer_) {
                if (!retransmit_oldest()) {
                    return;
                }
                continue;
            }
            Clock::time_point wake = std::min(deadline_, timer_);
            if (linger_until_) {
                wake = std::min(wake, *linger_until_);
            }
            auto in = channel_.receive(until(wake));
            if (in && !on_segment(*in)) {
                return;
            }
        }
    }

    void start_timer_if_idle() {
        if (timer_ == kNever) {
            timer_ = Clock::now() + rto_.rto();
        }
    }

    // Sends what the peer's window allows (also after a go-back-N rewind), then the FIN.
    void send_within_window() {
        while (snd_nxt_ < data_end_) {
            const auto in_flight = static_cast<std::uint32_t>(snd_nxt_ - snd_una_);
            const auto remaining = static_cast<std::uint32_t>(data_end_ - snd_nxt_);
            const std::uint32_t length = std::min(send_mss_, remaining);
            if (in_flight + length > peer_window_ && in_flight > 0) {
                break;  // the peer's window is full; an ACK will open it
            }
            send_data(snd_nxt_, length);
            snd_nxt_ += length;
            snd_max_ = std::max(snd_max_, snd_nxt_);
            start_timer_if_idle();
        }
        if (options_.fin && snd_nxt_ == data_end_) {
            send_fin();
            snd_nxt_ = data_end_ + 1;
            snd_max_ = std::max(snd_max_, snd_nxt_);
            start_timer_if_idle();
        }
    }

    void complete(const char* reason) {
        result_.completed = true;
        result_.outcome = HandshakeOutcome::completed;
        result_.reason = reason;
    }

    // Everything we send (data, FIN) is acknowledged. True when the transfer ends here (abort
    // with RST, or leave the connection open); with FIN, completes once the peer's FIN arrived
    // and lingers to ACK its retransmissions.
    bool all_acked() {
        if (options_.rst) {
            send_rst();
            complete("data acked, connection aborted with RST");
            return true;
        }
        if (!options_.fin) {
            complete("handshake completed, data acked (connection left open)");
            return true;
        }
        if (result_.peer_fin_received && !linger_until_) {
            complete("completed: handshake, data acked, FIN both ways");
            linger_until_ = std::min(deadline_, Clock::now() + options_.linger);
        }
        return false;
    }

    // The retransmission timer fired: go back N and resend the oldest segment. False (and the
    // run fails) once max_retransmissions are used up.
    bool retransmit_oldest() {
        if (tries_ >= options_.max_retransmissions) {
            fail(HandshakeOutcome::timeout,
                 "segment at relative seq " + std::to_string(snd_una_ - iss_) +
                     " not acknowledged after " + std::to_string(tries_) + " retransmissions");
            return false;
        }
        ++tries_;
        rto_.back_off();
        timed_ = false;       // Karn: nothing in flight may give a sample now
        snd_nxt_ = snd_una_;  // go-back-N
        if (snd_nxt_ < data_end_) {
            // Send the oldest segment even into a closed window: it doubles as a probe.
            const std::uint32_t length =
                std::min(send_mss_, static_cast<std::uint32_t>(data_end_ - snd_nxt_));
            send_data(snd_nxt_, length);
            snd_nxt_ += length;
        }
        timer_ = Clock::now() + rto_.rto();
        return true;
    }

    // One segment from the peer during the transfer; false when it ends the transfer (a RST).
    bool on_segment(const IncomingSegment& in) {
        record(in);
        const auto& tcp = in.packet.tcp;
        if (tcp.has(flag::kRst)) {
            if (!linger_until_) {
                fail(HandshakeOutcome::reset,
                     "RST from " + options_.dst.to_string() + " during the transfer");
            }
            return false;
        }
        if (tcp.has(flag::kSyn)) {
            send_ack();  // our ACK of the SYN-ACK was lost: the peer retransmitted it
            return true;
        }
        if (ts_enabled_ && tcp.options.timestamps) {
            ts_recent_ = tcp.options.timestamps->value;
        }
        if (tcp.has(flag::kAck)) {
            on_ack(tcp, in.at);
        }
        on_peer_data(tcp, static_cast<std::uint32_t>(in.payload.size()));
        return true;
    }

    // Takes the peer's window; a new cumulative ACK advances snd_una_, gives an RTT sample (or
    // ends the back-off) and restarts the timer for what is still outstanding.
    void on_ack(const packet::TcpHeader& tcp, Clock::time_point at) {
        peer_window_ = std::uint32_t{tcp.window} << peer_wscale_.value_or(0);
        if (!(tcp.ack > snd_una_ && tcp.ack <= snd_max_)) {
            return;  // old, duplicate or acking what we never sent
        }
        snd_una_ = tcp.ack;
        tries_ = 0;
        if (timed_ && snd_una_ >= timed_end_) {
            timed_ = false;
            rto_.on_rtt_sample(
                std::chrono::duration_cast<std::chrono::microseconds>(at - timed_at_));
        } else {
            rto_.reset_backoff();
        }
        if (snd_nxt_ < snd_una_) {
            snd_nxt_ = snd_una_;
        }
        timer_ = kNever;
        if (snd_una_ < snd_max_) {
            timer_ = Clock::now() + rto_.rto();
        }
    }

    // Accept in-order data and the peer's FIN; ACK everything (also duplicates, so a peer whose
    // ACK from us was lost stops retransmitting).
    void on_peer_data(const packet::TcpHeader& tcp, std::uint32_t length) {
        const bool fin = tcp.has(flag::kFin);
        if (length == 0 && !fin) {
            return;
        }
        if (tcp.seq == rcv_nxt_) {
            rcv_nxt_ += length;
            if (fin && !result_.peer_fin_received) {
                rcv_nxt_ += 1;
                result_.peer_fin_received = true;
            }
        }
        send_ack();
    }

    HandshakeOptions options_;
    std::uint16_t sport_;
    SegmentChannel channel_;
    Clock::time_point deadline_;
    Transcript transcript_;
    RelativeBase base_;
    RtoEstimator rto_;
    HandshakeResult result_;

    SeqNum iss_;
    SeqNum snd_una_;
    SeqNum snd_nxt_;
    SeqNum snd_max_;   // highest sequence number sent so far (+1)
    SeqNum data_end_;  // sequence number after the last data byte (where the FIN goes)
    SeqNum rcv_nxt_;
    std::uint32_t peer_window_ = 0;  // scaled, in bytes
    std::optional<std::uint8_t> peer_wscale_;
    std::uint32_t send_mss_ = kDefaultPeerMss;
    bool ts_enabled_ = false;
    std::uint32_t ts_recent_ = 0;
    std::uint32_t ts_offset_ = 0;
    bool timed_ = false;  // an RTT measurement is running (never on a retransmission: Karn)
    SeqNum timed_end_;
    Clock::time_point timed_at_;
    // transfer(): the retransmission timer (kNever: nothing outstanding), the retransmissions
    // of the oldest unacknowledged segment, and the end of the linger after a completed close.
    Clock::time_point timer_ = kNever;
    int tries_ = 0;
    std::optional<Clock::time_point> linger_until_;
};

void validate(const HandshakeOptions& options) {
    check_same_family(options.src, options.dst.address);
    if (options.dst.port == 0) {
        throw UsageError("--dst needs a port other than 0");
    }
    if (options.fin && options.rst) {
        throw UsageError("--fin and --rst exclude each other");
    }
    if (options.wscale && *options.wscale > 14) {
        throw UsageError("--wscale must be 0..14 (RFC 7323 2.3)");
    }
    if (options.mss == 0) {
        throw UsageError("--mss must be positive");
    }
    if (options.data_bytes > (1ULL << 30)) {
        throw UsageError("--data is limited to 1 GiB (sequence space stays far from wrapping)");
    }
    if (options.timeout.count() <= 0) {
        throw UsageError("--timeout must be positive");
    }
}

}  // namespace

HandshakeResult run_handshake(const HandshakeOptions& options) {
    validate(options);
    HandshakeOptions effective = options;
    if (!effective.sport) {
        effective.sport = random_port();
    }
    std::unique_ptr<RstSuppressor> suppressor;
    if (effective.suppress_rst) {
        suppressor = std::make_unique<RstSuppressor>(*effective.sport);
    }
    Client client(effective);
    return client.run();
}

}  // namespace tcplab::gen
