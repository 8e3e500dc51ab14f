#include "client/tcg_vendor_ids.hpp"

#include "common/strings.hpp"

namespace aikmock::client {

namespace {
// TCG TPM Vendor ID Registry (Family 1.2 and 2.0).
constexpr tcg_vendor registry[] = {
    {"414D4400", "AMD", "AMD"},
    {"41544D4C", "ATML", "Atmel"},
    {"4252434D", "BRCM", "Broadcom"},
    {"4353434F", "CSCO", "Cisco"},
    {"464C5953", "FLYS", "Flyslice Technologies"},
    {"474F4F47", "GOOG", "Google"},
    {"48504500", "HPE", "HPE"},
    {"48504900", "HPI", "HP Inc."},
    {"48495349", "HISI", "Huawei"},
    {"49424D00", "IBM", "IBM"},
    {"49465800", "IFX", "Infineon"},
    {"494E5443", "INTC", "Intel"},
    {"4C454E00", "LEN", "Lenovo"},
    {"4D534654", "MSFT", "Microsoft"},
    {"4E534D20", "NSM", "National Semiconductor"},
    {"4E545A00", "NTZ", "Nationz"},
    {"4E544300", "NTC", "Nuvoton Technology"},
    {"51434F4D", "QCOM", "Qualcomm"},
    {"524F4343", "ROCC", "Fuzhou Rockchip"},
    {"534D5343", "SMSC", "SMSC"},
    {"534D534E", "SMSN", "Samsung"},
    {"534E5300", "SNS", "Sinosun"},
    {"53544D20", "STM", "STMicroelectronics"},
    {"54584E00", "TXN", "Texas Instruments"},
    {"57454300", "WEC", "Winbond"},
};
}  // namespace

std::span<const tcg_vendor> tcg_vendors() { return registry; }

const tcg_vendor* find_tcg_vendor(std::string_view manufacturer) {
  if (istarts_with(manufacturer, "id:")) manufacturer.remove_prefix(3);
  for (const auto& v : registry)
    if (iequals(manufacturer, v.id)) return &v;
  return nullptr;
}

}  // namespace aikmock::client
