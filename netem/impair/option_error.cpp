#include "netem/impair/option_error.hpp"

#include <map>

namespace tcplab::netem {

namespace po = boost::program_options;

namespace {

// A copy of the error, to reach the template and values Boost keeps protected.
class OnePassMessage : public po::error_with_option_name {
public:
    explicit OnePassMessage(const po::error_with_option_name& e) : po::error_with_option_name(e) {}

    std::string render() const {
        std::map<std::string, std::string> values = m_substitutions;
        values["canonical_option"] = get_canonical_option_name();
        values["prefix"] = get_canonical_option_prefix();
        // As Boost does: a placeholder without a value is first replaced by its default wording.
        std::string text = m_error_template;
        for (const auto& [name, from_to] : m_substitution_defaults) {
            const auto it = values.find(name);
            if (it != values.end() && !it->second.empty()) continue;
            for (auto pos = text.find(from_to.first); pos != std::string::npos;
                 pos = text.find(from_to.first, pos + from_to.second.size())) {
                text.replace(pos, from_to.first.size(), from_to.second);
            }
        }
        std::string out;
        for (std::size_t i = 0; i < text.size();) {
            const auto end = text[i] == '%' ? text.find('%', i + 1) : std::string::npos;
            const auto it = end == std::string::npos ? values.end()
                                                     : values.find(text.substr(i + 1, end - i - 1));
            if (it == values.end()) {
                out += text[i++];
                continue;
            }
            out += it->second;  // inserted text is never scanned again
            i = end + 1;
        }
        return out;
    }
};

}  // namespace

std::string option_error_message(const po::error& error) {
    // ambiguous_option lists the candidates in its own what(); they and the token are our names.
    if (dynamic_cast<const po::ambiguous_option*>(&error) != nullptr) return error.what();
    if (const auto* named = dynamic_cast<const po::error_with_option_name*>(&error)) {
        return OnePassMessage(*named).render();
    }
    return error.what();  // a fixed text
}

}  // namespace tcplab::netem
