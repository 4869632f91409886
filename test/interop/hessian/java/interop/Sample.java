package interop;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** A typed bean with one field of each common type. */
public class Sample implements Serializable {
    private static final long serialVersionUID = 1L;
    public int count;
    public long big;
    public double ratio;
    public boolean flag;
    public String text;
    public Date when;
    public byte[] data;
    public List<String> tags;
    public Map<String, Integer> scores;
    public Person owner;

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Sample)) return false;
        Sample s = (Sample) o;
        return count == s.count && big == s.big && Double.compare(ratio, s.ratio) == 0 && flag == s.flag
            && Objects.equals(text, s.text) && Objects.equals(when, s.when) && Arrays.equals(data, s.data)
            && Objects.equals(tags, s.tags) && Objects.equals(scores, s.scores)
            && (owner == null ? s.owner == null : s.owner != null && Objects.equals(owner.firstName, s.owner.firstName));
    }

    @Override
    public int hashCode() {
        return count;
    }

    @Override
    public String toString() {
        return "Sample{count=" + count + ", big=" + big + ", ratio=" + ratio + ", flag=" + flag + ", text=" + text
            + ", when=" + (when == null ? null : when.getTime()) + ", data=" + (data == null ? null : data.length)
            + ", tags=" + tags + ", scores=" + scores + ", owner=" + owner + "}";
    }
}
