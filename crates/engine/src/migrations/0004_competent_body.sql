-- 不予受理 because the matter is outside this office's powers names the
-- competent body (行政许可法 §32(1)(2); 劳动人事争议仲裁办案规则 §31).
ALTER TABLE cases ADD COLUMN rejection_competent_body TEXT;
