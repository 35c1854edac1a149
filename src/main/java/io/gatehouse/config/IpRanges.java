package io.gatehouse.config;

import java.net.InetAddress;
import java.util.List;

/** A list of {@link IpRange}s; an address is in it when it is in any of them. Immutable. */
public record IpRanges(List<IpRange> ranges) {

    public static final IpRanges NONE = new IpRanges(List.of());

    public IpRanges {
        ranges = List.copyOf(ranges);
    }

    public boolean isEmpty() {
        return ranges.isEmpty();
    }

    public boolean contains(byte[] address) {
        for (IpRange range : ranges) {
            if (range.contains(address)) {
                return true;
            }
        }
        return false;
    }

    public boolean contains(InetAddress address) {
        return address != null && contains(address.getAddress());
    }
}
