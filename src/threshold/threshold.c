/*
 * threshold.c: the numbers that turn a score into a decision: the
 * chi-square distribution (IR-MAD's no-change probability), Otsu's split of
 * a histogram, and quantiles and the shorth of a sample (the level and
 * spread of unchanged ground, whatever share of the scene changed up to
 * half).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "../sw_int.h"

/* P(a, x) by its series for x < a + 1, by Lentz's continued fraction for
 * Q(a, x) otherwise (Numerical Recipes, 6.2). */
double sw__gamma_p(double a, double x)
{
    if (!(x > 0.0) || !(a > 0.0))
        return 0.0;
    double gln = lgamma(a);
    if (x < a + 1.0) {
        double ap = a, sum = 1.0 / a, del = sum;
        for (int n = 0; n < 1000; n++) {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if (fabs(del) < fabs(sum) * 1e-15)
                break;
        }
        return sum * exp(-x + a * log(x) - gln);
    }
    double b = x + 1.0 - a, c = 1.0 / DBL_MIN, d = 1.0 / b, h = d;
    for (int i = 1; i < 1000; i++) {
        double an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if (fabs(d) < DBL_MIN)
            d = DBL_MIN;
        c = b + an / c;
        if (fabs(c) < DBL_MIN)
            c = DBL_MIN;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < 1e-15)
            break;
    }
    return 1.0 - exp(-x + a * log(x) - gln) * h;
}

double sw__chi2_cdf(double x, double k)
{
    return sw__gamma_p(0.5 * k, 0.5 * x);
}

double sw__chi2_sf_int(double x, int k)
{
    if (!(x > 0.0))
        return 1.0;
    double h = 0.5 * x, e = exp(-h), sum, term;
    if (k % 2 == 0) {
        /* Q = e^{-x/2} sum_{i < k/2} (x/2)^i / i! */
        sum = term = 1.0;
        for (int i = 1; i < k / 2; i++) {
            term *= h / i;
            sum += term;
        }
        return e * sum;
    }
    /* Q = erfc(sqrt(x/2)) + sqrt(2/pi) e^{-x/2} sum_{j=1}^{(k-1)/2} x^{j-1/2} / (1*3*...*(2j-1)) */
    double r = sqrt(x);
    sum = 0.0;
    term = r;
    for (int j = 1; j <= (k - 1) / 2; j++) {
        if (j > 1)
            term *= x / (2 * j - 1);
        sum += term;
    }
    return erfc(sqrt(h)) + sqrt(2.0 / M_PI) * e * sum;
}

double sw__chi2_quantile(double p, double k)
{
    if (!(k > 0.0) || !isfinite(k) || isnan(p))
        return NAN; /* no distribution: a caller's bug, not a hang */
    if (p <= 0.0)
        return 0.0;
    if (p >= 1.0)
        return INFINITY;
    double lo = 0.0, hi = k + 10.0 * sqrt(2.0 * k) + 10.0;
    for (int i = 0; i < 64 && sw__chi2_cdf(hi, k) < p; i++)
        hi *= 2.0;
    for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
        double mid = 0.5 * (lo + hi);
        if (sw__chi2_cdf(mid, k) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

double sw__otsu(const int64_t *hist, int nbins, double lo, double hi)
{
    double total = 0.0, sum = 0.0;
    for (int i = 0; i < nbins; i++) {
        total += (double)hist[i];
        sum += (double)i * (double)hist[i];
    }
    if (total <= 0.0)
        return hi;
    /* Empty bins between two modes give equal between-class variance for
     * every split among them: take the middle of that plateau. */
    double w0 = 0.0, sum0 = 0.0, best = -1.0;
    int best_i = nbins - 1, best_last = nbins - 1;
    for (int i = 0; i < nbins - 1; i++) {
        w0 += (double)hist[i];
        sum0 += (double)i * (double)hist[i];
        double w1 = total - w0;
        if (w0 <= 0.0 || w1 <= 0.0)
            continue;
        double m0 = sum0 / w0, m1 = (sum - sum0) / w1;
        double between = w0 * w1 * (m0 - m1) * (m0 - m1);
        if (between > best * (1.0 + 1e-12)) {
            best = between;
            best_i = best_last = i;
        } else if (between >= best * (1.0 - 1e-12) && best_last == i - 1) {
            best_last = i;
        }
    }
    best_i = (best_i + best_last) / 2;
    return lo + (hi - lo) * (double)(best_i + 1) / (double)nbins;
}

double sw__kittler(const int64_t *hist, int nbins, double lo, double hi)
{
    double total = 0.0;
    for (int i = 0; i < nbins; i++)
        total += (double)hist[i];
    if (total <= 0.0)
        return hi;
    /* Prefix sums of counts, first and second moments over bin indices. */
    double c0 = 0, c1 = 0, c2 = 0, t1 = 0, t2 = 0;
    for (int i = 0; i < nbins; i++) {
        t1 += (double)i * hist[i];
        t2 += (double)i * i * hist[i];
    }
    double best = INFINITY;
    int best_i = -1;
    for (int i = 0; i < nbins - 1; i++) {
        c0 += hist[i];
        c1 += (double)i * hist[i];
        c2 += (double)i * i * hist[i];
        double n1 = c0, n2 = total - c0;
        if (n1 < 2 || n2 < 2)
            continue;
        double p1 = n1 / total, p2 = n2 / total;
        double m1 = c1 / n1, m2 = (t1 - c1) / n2;
        double v1 = c2 / n1 - m1 * m1, v2 = (t2 - c2) / n2 - m2 * m2;
        /* a class narrower than a bin has no usable spread */
        if (v1 < 1.0 / 12 || v2 < 1.0 / 12)
            continue;
        double j = p1 * log(v1) + p2 * log(v2) - 2.0 * (p1 * log(p1) + p2 * log(p2));
        if (j < best) {
            best = j;
            best_i = i;
        }
    }
    if (best_i < 0)
        return sw__otsu(hist, nbins, lo, hi);
    return lo + (hi - lo) * (double)(best_i + 1) / (double)nbins;
}

/* Hoare's selection. */
float sw__select_k(float *v, int64_t n, int64_t k)
{
    int64_t l = 0, r = n - 1;
    while (l < r) {
        float pivot = v[l + (r - l) / 2];
        int64_t i = l, j = r;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                float t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                j--;
            }
        }
        if (k <= j)
            r = j;
        else if (k >= i)
            l = i;
        else
            break;
    }
    return v[k];
}

double sw__quantile(float *v, int64_t n, double q)
{
    if (n <= 0)
        return NAN;
    if (q < 0.0)
        q = 0.0;
    if (q > 1.0)
        q = 1.0;
    int64_t k = (int64_t)floor(q * (double)(n - 1) + 0.5);
    return sw__select_k(v, n, k);
}

static int cmp_float(const void *a, const void *b)
{
    float u = *(const float *)a, v = *(const float *)b;
    return (u > v) - (u < v);
}

double sw__shorth(float *v, int64_t n, double *sd)
{
    int64_t h = n / 2;
    if (h < 1) {
        *sd = 0.0;
        return n ? v[0] : 0.0;
    }
    qsort(v, (size_t)n, sizeof *v, cmp_float);
    int64_t best = 0;
    for (int64_t i = 1; i + h < n; i++)
        if (v[i + h] - v[i] < v[best + h] - v[best])
            best = i;
    *sd = ((double)v[best + h] - (double)v[best]) / 1.349;
    return 0.5 * ((double)v[best] + (double)v[best + h]);
}
